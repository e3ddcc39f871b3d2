-- A cumulative (year-to-date) measure whose value falls from one quarter to
-- the next within a financial year.

with quarters as (

    select
        *,
        lag(value) over year_so_far as previous_value,
        lag(period_key) over year_so_far as previous_period_key

    from marts.fct_indicator_observations
    where period_type = 'quarter'
        and measure_type = 'cumulative'
        and value is not null
    window year_so_far as (partition by authority, ref, financial_year_start order by period_end)

)

select
    authority,
    source_reporting_period as reporting_period,
    priority_number,
    ref,
    period_key,
    'cumulative_falls' as check_name,
    'WARN' as severity,
    format(
        '{} is a year-to-date count, yet falls from {} at {} to {} at {}.',
        ref, previous_value, previous_period_key, value, period_key
    ) as message,
    cast(value as varchar) as observed,
    format('at least {}, the {} figure', previous_value, previous_period_key) as expected,
    source_file_path,
    source_row_number

from quarters
where value < previous_value
