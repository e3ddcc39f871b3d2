-- A percentage measure (by its title) with a value below 0 or above 100.

select
    authority,
    source_reporting_period as reporting_period,
    priority_number,
    ref,
    period_key,
    'percentage_out_of_range' as check_name,
    'ERROR' as severity,
    format('{} is a percentage but reports {} for {}.', ref, value, period_key) as message,
    cast(value as varchar) as observed,
    'between 0 and 100' as expected,
    source_file_path,
    source_row_number

from marts.fct_indicator_observations
where rules.is_percentage_measure(indicator)
    and (value < 0 or value > 100)
