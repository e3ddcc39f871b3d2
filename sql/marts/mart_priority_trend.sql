-- The performance trend against the same period a year earlier, as the
-- reports publish it (table 4.2): per authority and reporting period, a row
-- per priority and a total row whose priority is NULL. Per cents are of the
-- indicators with a trend, 0-100, unrounded; NULL where none has one.
-- partitioned by: reporting_period
-- grain: authority, reporting_period, priority
--
-- With data: a trend, computed from a value a year earlier or, failing that,
-- as the service reported it (the fact's trend_basis says which).

with period_indicators as (

    select authority, period_key as reporting_period, priority_number, trend
    from marts.fct_indicator_observations
    where in_return_for_period

),

counted as (

    select
        authority,
        reporting_period,
        priority_number as priority,
        count(trend) as n_with_data,
        count(*) filter (where trend = 'improved') as n_improved,
        count(*) filter (where trend = 'worse') as n_worse,
        count(*) filter (where trend = 'same') as n_same

    from period_indicators
    group by grouping sets (
        (authority, reporting_period, priority_number),
        (authority, reporting_period)
    )

)

select
    authority,
    reporting_period,
    priority,
    n_with_data,
    n_improved,
    n_worse,
    n_same,
    100.0 * n_improved / nullif(n_with_data, 0) as pct_improved,
    100.0 * n_worse / nullif(n_with_data, 0) as pct_worse,
    100.0 * n_same / nullif(n_with_data, 0) as pct_same

from counted
