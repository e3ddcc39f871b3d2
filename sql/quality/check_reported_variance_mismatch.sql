-- A printed variance more than the tolerance (sql/macros/quality.sql) away
-- from the variance the rules compute from the same row's value and target.
-- grain: authority, reporting_period, ref, check_name

select
    authority,
    period_key as reporting_period,
    priority_number,
    ref,
    period_key,
    'reported_variance_mismatch' as check_name,
    'WARN' as severity,
    format(
        '{} prints a variance of {}%, but its value {} against its {} target {} gives {}% ({} is better).',
        ref,
        reported_variance,
        value_as_at,
        value_as_at_period_key,
        round(period_target, 4),
        round(variance_pct, 2),
        lower(polarity)
    ) as message,
    reported_variance_text as observed,
    format('{}%', round(variance_pct, 2)) as expected,
    source_file_path,
    source_row_number

from marts.fct_indicator_observations
where in_return_for_period
    and abs(variance_pct - reported_variance) > rules.variance_tolerance()
