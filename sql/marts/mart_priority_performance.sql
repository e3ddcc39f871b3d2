-- Performance against target, as the reports publish it (table 4.1), as
-- published: each period judged on its own returns only (the fact's
-- published_* columns), so a later return never changes a period's rows;
-- mart_priority_performance_restated judges on the latest revisions. Per
-- authority and reporting period, a row per priority and a total row whose
-- priority is NULL. Per cents are of the indicators with data, 0-100,
-- unrounded; NULL where no indicator has data. The rows are
-- mart_priority_performance_by_judgement's published ones, where they are
-- counted.
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
where judged_as = 'published'
