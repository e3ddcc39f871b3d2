-- Performance against target, restated: the columns and grain of
-- mart_priority_performance, with each period judged on the latest revision
-- of every value (a lagged figure filled in later, a value a later return
-- restated) rather than as it was published. Per authority and reporting
-- period, a row per priority and a total row whose priority is NULL. Per cents
-- are of the indicators with data, 0-100, unrounded; NULL where no indicator
-- has data. The rows are mart_priority_performance_by_judgement's restated
-- ones, where they are counted.
-- partitioned by: reporting_period
-- grain: authority, reporting_period, priority

select
    authority,  -- The reporting council, as its returns name it.
    reporting_period,  -- The quarter the returns are as at, e.g. '2024-25 Q2'.
    priority,  -- The strategy priority (1 to 6); NULL on the total row.
    n_with_data,  -- Indicators with a value and a target, so a status.
    n_met,  -- Indicators that met their target.
    n_within,  -- Indicators within 5% of their target.
    n_not_met,  -- Indicators more than 5% from their target.
    pct_met,  -- Per cent (0-100, unrounded) of the indicators with data that met their target.
    pct_within,  -- Per cent (0-100, unrounded) of the indicators with data within 5% of their target.
    pct_not_met,  -- Per cent (0-100, unrounded) of the indicators with data more than 5% from their target.
    n_data_gaps  -- Indicators of the returns with no value for the year so far, whatever their cells say instead.

from marts.mart_priority_performance_by_judgement
where judged_as = 'restated'
