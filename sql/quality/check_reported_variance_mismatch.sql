-- A printed variance more than the tolerance (sql/macros/quality.sql) away
-- from the variance the rules compute from the figures of the return that
-- printed it: its own value as at the period and its own target (the fact's
-- published_* judgement). A value a later return filled in or restated is
-- not the service's slip, so it is not judged here.

select
    authority,
    period_key as reporting_period,
    priority_number,
    ref,
    period_key,
    'reported_variance_mismatch' as check_name,
    'WARN' as severity,
    format(
        '{} prints a variance of {}%, but its value {} against its {} target {} gives {}% '
        || '({} is better).',
        ref,
        reported_variance,
        published_value_as_at,
        published_value_as_at_period_key,
        round(published_period_target, 4),
        round(published_variance_pct, 2),
        lower(polarity)
    ) as message,
    reported_variance_text as observed,
    format('{}%', round(published_variance_pct, 2)) as expected,
    return_file_path as source_file_path,
    return_row_number as source_row_number

from marts.fct_indicator_observations
where in_return_for_period
    and abs(published_variance_pct - reported_variance) > rules.variance_tolerance()
