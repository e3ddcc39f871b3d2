-- A comparator quartile the return printed that the comparator group's own
-- values, as the period's own comparator return gives them, do not give: the computed one is what the summaries count, and the
-- service should say which is right.

with quartiles as (

    select * from marts.fct_indicator_quartiles

),

observations as (

    select
        authority,
        period_key as reporting_period,
        ref,
        return_file_path as source_file_path,
        return_row_number as source_row_number
    from marts.fct_indicator_observations
    where in_return_for_period

)

select
    quartiles.authority,
    quartiles.reporting_period,
    quartiles.priority_number,
    quartiles.ref,
    null as period_key,
    'reported_quartile_mismatch' as check_name,
    'WARN' as severity,
    format(
        '{} printed quartile {} but its {} values for {} give quartile {} by the {} method.',
        quartiles.ref, quartiles.reported_quartile, quartiles.comparator_group,
        quartiles.computed_comparator_period, quartiles.computed_quartile,
        quartiles.quartile_method
    ) as message,
    format('quartile {}', quartiles.reported_quartile) as observed,
    format('quartile {} ({})', quartiles.computed_quartile, quartiles.quartile_method)
        as expected,
    observations.source_file_path,
    observations.source_row_number

from quartiles
inner join observations using (authority, reporting_period, ref)
where quartiles.reported_quartile <> quartiles.computed_quartile
