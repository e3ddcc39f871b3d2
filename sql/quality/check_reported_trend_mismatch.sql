-- A printed trend that disagrees with the trend the rules compute from a value
-- a year earlier.
-- grain: authority, reporting_period, ref, check_name

select
    authority,
    period_key as reporting_period,
    priority_number,
    ref,
    period_key,
    'reported_trend_mismatch' as check_name,
    'WARN' as severity,
    format(
        '{} prints its trend as {}, but {} now against {} a year earlier is {} ({} is better).',
        ref, reported_trend, value_as_at,
        coalesce(value_year_earlier, same_period_last_year), trend, lower(polarity)
    ) as message,
    reported_trend_text as observed,
    trend as expected,
    source_file_path,
    source_row_number

from marts.fct_indicator_observations
where in_return_for_period
    and trend_is_computed
    and reported_trend is not null
    and reported_trend <> trend
