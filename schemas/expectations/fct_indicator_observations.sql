-- The fact table as its suite sees it, with what it must agree with: each
-- status judged again from its variance alone by the same macro (a variance p
-- is judged as a value of 100 + p against 100, higher being better), and the
-- number of indicators the current returns report for their periods against
-- the number of fact rows that stand for them. Only the columns the suite
-- checks: the batch is copied into pandas, which costs by the column.
with returned_indicators as (

    select count(*) as n
    from (select distinct authority, reporting_period, ref from staging.stg_indicator_returns)

)

select
    authority, ref, indicator, priority_number, polarity, measure_type,
    period_key, period_type, period_end, financial_year, fiscal_month, in_return_for_period,
    variance_pct, performance_status, trend, trend_basis, direction_of_travel,
    comparative_quartile,
    rules.performance_status(100 + variance_pct, 100, 'Higher') as status_from_variance,
    (select n from returned_indicators) as indicators_in_returns,
    count(*) filter (where in_return_for_period) over () as indicators_in_fact
from marts.fct_indicator_observations
