-- One row per indicator row of the current returns (staging.stg_current_return_files).
-- return_order ranks an authority's returns from earliest to latest, once, for
-- every model that must know which return is later.
-- grain: file_path, row_number
--
-- How return_order ranks: the later reporting period is the later return; within one
-- period, the later file by stg_current_return_files' file_order, which decides for
-- every kind of return which of two files is the later.

with current_files as (

    select file_path, file_hash, file_loaded_at, file_order
    from staging.stg_current_return_files

),

return_orders as (

    -- Ranked once per return, not once per row: a window sorts every row it is given.
    select
        authority,
        financial_year_start,
        reporting_quarter,
        file_path,
        -- The period's key and last day, made once per return, not once per row.
        rules.quarter_period_key(financial_year_start, reporting_quarter) as reporting_period,
        rules.fiscal_month_end(
            financial_year_start, rules.quarter_end_month(reporting_quarter)
        ) as reporting_period_end,
        dense_rank() over (
            partition by authority
            order by financial_year_start, reporting_quarter, file_order
        ) as return_order

    -- The returns are read here on their own, not from a CTE the final select reads
    -- too: DuckDB would hold such a CTE, every column of every row, in memory.
    from (
        select distinct
            authority, financial_year_start, reporting_quarter, current_files.file_order, file_path
        from validated.indicator_returns
        inner join current_files using (file_path, file_hash)
    ) as distinct_returns

)

select
    authority,
    return_orders.reporting_period,
    financial_year_start,
    reporting_quarter,
    return_orders.reporting_period_end,
    return_orders.return_order,
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
    current_files.file_loaded_at as loaded_at

from validated.indicator_returns
inner join current_files using (file_path, file_hash)
inner join return_orders
    using (authority, financial_year_start, reporting_quarter, file_path)
