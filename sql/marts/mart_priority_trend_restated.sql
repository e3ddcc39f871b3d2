-- The performance trend against the same period a year earlier, restated: the
-- columns and grain of mart_priority_trend, with each period's value and the
-- year-earlier value taken at their latest revision. Per authority and
-- reporting period, a row per priority and a total row whose priority is NULL.
-- Per cents are of the indicators with a trend, 0-100, unrounded; NULL where
-- none has one. The rows are mart_priority_trend_by_judgement's restated ones,
-- where they are counted.
-- partitioned by: reporting_period
-- grain: authority, reporting_period, priority

select
    authority,  -- The reporting council, as its returns name it.
    reporting_period,  -- The quarter the returns are as at, e.g. '2024-25 Q2'.
    priority,  -- The strategy priority (1 to 6); NULL on the total row.
    n_with_data,  -- Indicators with a trend, computed or reported.
    n_improved,  -- Indicators better than a year earlier.
    n_worse,  -- Indicators worse than a year earlier.
    n_same,  -- Indicators the same as a year earlier.
    pct_improved,  -- Per cent (0-100, unrounded) of the indicators with a trend that improved.
    pct_worse,  -- Per cent (0-100, unrounded) of the indicators with a trend that got worse.
    pct_same  -- Per cent (0-100, unrounded) of the indicators with a trend that stayed the same.

from marts.mart_priority_trend_by_judgement
where judged_as = 'restated'
