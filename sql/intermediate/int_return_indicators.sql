-- The indicators each return reports as at its reporting period, with what the
-- service printed for that period. This is the scope of a published summary:
-- the marts count these indicators, per authority and reporting period. A
-- period is judged on its own return's polarity, measure type and targets.
-- grain: authority, reporting_period, ref
-- incremental by: reporting_period
--
-- Two current returns as at the same period naming the same ref (the same
-- indicator in two services' files): the later return stands, and
-- check_ref_in_two_returns says so.

with ranked as (

    select
        *,
        row_number() over (
            partition by authority, reporting_period, ref
            order by return_order desc
        ) as return_recency

    from staging.stg_indicator_returns

)

select
    authority,
    reporting_period,
    financial_year_start,
    reporting_quarter,
    reporting_period_end,
    ref,
    priority_number,
    polarity,
    measure_type,
    annual_target,
    profiled_targets,
    same_period_last_year,
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

from ranked
where return_recency = 1
