-- A count ('Number of ...', not a share) with a negative value.

select
    authority,
    source_reporting_period as reporting_period,
    priority_number,
    ref,
    period_key,
    'negative_count' as check_name,
    'ERROR' as severity,
    format('{} counts something but reports {} for {}.', ref, value, period_key) as message,
    cast(value as varchar) as observed,
    '0 or more' as expected,
    source_file_path,
    source_row_number

from marts.fct_indicator_observations
where rules.is_count_measure(indicator)
    and value < 0
