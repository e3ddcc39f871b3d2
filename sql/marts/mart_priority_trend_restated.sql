-- The performance trend against the same period a year earlier, restated: the
-- columns and grain of mart_priority_trend, with each period's value and the
-- year-earlier value taken at their latest revision. Per authority and
-- reporting period, a row per priority and a total row whose priority is NULL. Per cents are of the
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
    authority,  -- The reporting council, as its returns name it.
    reporting_period,  -- The quarter the returns are as at, e.g. '2024-25 Q2'.
    priority,  -- The strategy priority (1 to 6); NULL on the total row.
    n_with_data,  -- Indicators with a trend, computed or reported.
    n_improved,  -- Indicators better than a year earlier.
    n_worse,  -- Indicators worse than a year earlier.
    n_same,  -- Indicators the same as a year earlier.
    100.0 * n_improved / nullif(n_with_data, 0) as pct_improved,  -- Per cent (0-100, unrounded) of the indicators with a trend that improved.
    100.0 * n_worse / nullif(n_with_data, 0) as pct_worse,  -- Per cent (0-100, unrounded) of the indicators with a trend that got worse.
    100.0 * n_same / nullif(n_with_data, 0) as pct_same  -- Per cent (0-100, unrounded) of the indicators with a trend that stayed the same.

from counted
