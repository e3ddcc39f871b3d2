-- An indicator with no annual target this year that had one last year.

with last_year as (

    select authority, ref, financial_year_start + 1 as financial_year_start, annual_target
    from intermediate.int_indicator_years
    where annual_target is not null

)

select
    observations.authority,
    observations.period_key as reporting_period,
    observations.priority_number,
    observations.ref,
    null as period_key,
    'target_missing' as check_name,
    'WARN' as severity,
    format(
        '{} has no target for {}, though it had one ({}) the year before.',
        observations.ref, observations.financial_year, last_year.annual_target
    ) as message,
    'no target' as observed,
    format('a target, as last year''s {}', last_year.annual_target) as expected,
    observations.return_file_path as source_file_path,
    observations.return_row_number as source_row_number

from marts.fct_indicator_observations as observations
inner join last_year using (authority, ref, financial_year_start)
where observations.in_return_for_period
    and observations.annual_target is null
