-- One row per indicator row of the current returns
-- (staging.stg_indicator_return_versions), with its return's order.
-- grain: file_path, row_number
-- incremental by: file_path

select
    authority,
    return_versions.reporting_period,
    financial_year_start,
    reporting_quarter,
    return_versions.reporting_period_end,
    return_versions.return_order,
    priority_number,
    priority_name,
    outcome,
    tier,
    ref,
    indicator,
    frequency,
    polarity,
    measure_type,

    target as annual_target,
    [target_q1, target_q2, target_q3, target_q4] as profiled_targets,

    previous_outturn, previous_outturn_note,
    q1, q1_note, q2, q2_note, q3, q3_note, q4, q4_note,
    outturn, outturn_note,
    apr, apr_note, may, may_note, jun, jun_note,
    jul, jul_note, aug, aug_note, sep, sep_note,
    oct, oct_note, nov, nov_note, dec, dec_note,
    jan, jan_note, feb, feb_note, mar, mar_note,
    same_period_last_year, same_period_last_year_note,

    reported_variance,
    reported_variance_text,
    reported_variance_unreadable,
    reported_trend,
    reported_trend_text,
    reported_trend_unreadable,
    comparative_quartile,
    comparative_quartile_text,
    comparative_quartile_unreadable,
    comparator_period,
    england_average,
    comparator_average,
    commentary,

    file_path,
    file_hash,
    sheet,
    row_number,
    return_versions.file_loaded_at as loaded_at

from validated.indicator_returns
inner join staging.stg_indicator_return_versions as return_versions
    using (authority, financial_year_start, reporting_quarter, file_path, file_hash)
