-- One row per indicator row of the current version of each return file, with
-- its reporting period keyed and its lineage kept.
-- grain: file_path, row_number
--
-- A service that corrects a return sends the file again under the same path;
-- raw keeps every version, and the most recently loaded one is the return.

with file_versions as (

    select
        file_path,
        file_hash,
        row_number() over (
            partition by file_path order by loaded_at desc, file_hash
        ) as version_recency

    from raw.return_files

),

current_files as (

    select file_path, file_hash
    from file_versions
    where version_recency = 1

),

returns as (

    select returns.*
    from validated.indicator_returns as returns
    inner join current_files using (file_path, file_hash)

)

select
    authority,
    rules.quarter_period_key(financial_year_start, reporting_quarter) as reporting_period,
    financial_year_start,
    reporting_quarter,
    rules.fiscal_month_end(financial_year_start, reporting_quarter * 3) as reporting_period_end,
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
    loaded_at

from returns
