-- A printed trend that disagrees with the trend the rules compute from the
-- figures the return had: its own value as at the period against the
-- year-earlier period as it was published, else the return's own figure for
-- it (the fact's published_trend).

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
        ref, reported_trend, published_value_as_at,
        coalesce(published_value_year_earlier, same_period_last_year), published_trend,
        lower(polarity)
    ) as message,
    reported_trend_text as observed,
    published_trend as expected,
    return_file_path as source_file_path,
    return_row_number as source_row_number

from marts.fct_indicator_observations
where in_return_for_period
    and published_trend_basis in ('warehouse history', 'same period last year')
    and reported_trend is not null
    and reported_trend <> published_trend
