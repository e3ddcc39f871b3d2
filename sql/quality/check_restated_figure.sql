-- A published figure that a later return changed: the value a reporting
-- period was judged on in its own returns (what its report said) against the
-- value the latest revision gives (a lagged cell filled in later, a
-- previous_outturn restated). The published marts keep the period as it was;
-- the _restated marts and the fact's unprefixed judgement use the new value.
-- Worth knowing, not a fault: INFO.

with restated as (

    select *
    from marts.fct_indicator_observations
    where in_return_for_period
        and published_value_as_at is distinct from value_as_at

),

return_quarters as (

    select distinct reporting_period, financial_year_start, reporting_quarter
    from staging.stg_indicator_returns

),

changed_by as (

    select
        restated.*,
        observations.source_reporting_period as changed_in_reporting_period,
        observations.source_file_path as changed_in_file_path,
        observations.source_row_number as changed_in_row_number

    from restated
    inner join intermediate.int_indicator_observations as observations
        on restated.authority = observations.authority
        and restated.ref = observations.ref
        and restated.value_as_at_period_key = observations.period_key
    inner join return_quarters as changed_in
        on observations.source_reporting_period = changed_in.reporting_period
    -- A value from an earlier return is history the period's own return left
    -- out, not a restatement.
    where rules.quarter_index(changed_in.financial_year_start, changed_in.reporting_quarter)
        > rules.quarter_index(
            restated.financial_year_start, rules.quarter_of_month(restated.fiscal_month)
        )

)

select
    authority,
    period_key as reporting_period,
    priority_number,
    ref,
    value_as_at_period_key as period_key,
    'restated' as check_name,
    'INFO' as severity,
    format(
        '{} was published for {} at {} and is now {} ({} figure), restated by the {} return.',
        ref, period_key, coalesce(cast(published_value_as_at as varchar), 'no value'),
        value_as_at, value_as_at_period_key, changed_in_reporting_period
    ) as message,
    cast(value_as_at as varchar) as observed,
    coalesce(cast(published_value_as_at as varchar), 'no value') as expected,
    changed_in_file_path as source_file_path,
    changed_in_row_number as source_row_number

from changed_by
