-- The fact table as its suite sees it, with what it must agree with: each
-- status judged again from its variance alone by the same macro (a variance p
-- is judged as a value of 100 + p against 100, higher being better), and the
-- number of indicators the current returns report for their periods against
-- the number of fact rows that stand for them.
--
-- The batch is copied into pandas, which costs by the row and the column, so it
-- holds only the columns the suite checks and only the rows this run may have
-- changed: those of the quarters it was asked for, and those whose value came
-- from a file it loaded (every row, when the run named no quarter). The whole
-- table's grain is the blocking grain check's, in SQL. $run_id is the run.
-- The two counts are scalar subqueries: DuckDB 2.0 takes seconds per hundred
-- thousand rows over a filtered count(*) OVER ().
with this_run as (

    select
        any_value(requested_at) as loaded_at,
        list(rules.quarter_period_key(financial_year_start, reporting_quarter)) as periods
    from raw.requested_quarters
    where run_id = $run_id

),

returned_indicators as (

    select count(*) as n
    from (
        select distinct authority, reporting_period, ref from staging.stg_indicator_returns
    ) as indicator_periods

),

fact_indicators as (

    select count(*) as n
    from marts.fct_indicator_observations
    where in_return_for_period

)

select
    authority, ref, indicator, priority_number, polarity, measure_type,
    period_key, period_type, period_end, financial_year, fiscal_month, in_return_for_period,
    variance_pct, performance_status, trend, trend_basis, direction_of_travel,
    comparative_quartile,
    rules.performance_status(100 + variance_pct, 100, 'Higher') as status_from_variance,
    (select n from returned_indicators) as indicators_in_returns,
    (select n from fact_indicators) as indicators_in_fact
from marts.fct_indicator_observations
cross join this_run
where this_run.periods is null
    or list_contains(this_run.periods, period_key)
    or source_loaded_at = this_run.loaded_at
