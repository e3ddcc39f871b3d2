-- The performance trend against the same period a year earlier (the reports'
-- table 4.2) under both judgements of a period, counted once: judged_as
-- 'published' rows take the period's own value against the year-earlier
-- period as it was published (the fact's published_trend); 'restated' rows
-- take both values at their latest revision (the fact's trend). The two
-- summaries analysts read, mart_priority_trend and mart_priority_trend_restated,
-- are this table's rows of one judgement. Per authority, reporting period and
-- judgement, a row per priority and a total row whose priority is NULL. Per
-- cents are of the indicators with a trend, 0-100, unrounded; NULL where none
-- has one.
-- partitioned by: reporting_period
-- grain: authority, reporting_period, judged_as, priority
--
-- With data: a trend, computed from a value a year earlier or, failing that,
-- as the service reported it (the fact's published_trend_basis and
-- trend_basis say which).

with judgements (judged_as) as (

    values ('published'), ('restated')

),

judged_indicators as (

    -- Each indicator once per judgement, from one pass over the fact, with or without
    -- a trend: a priority whose indicators have none still has its row.
    select
        authority,
        period_key as reporting_period,
        priority_number,
        judgements.judged_as,
        case judgements.judged_as when 'published' then published_trend else trend end as trend
    from marts.fct_indicator_observations
    cross join judgements
    where in_return_for_period

),

counted as (

    select
        authority,
        reporting_period,
        judged_as,
        priority_number as priority,
        count(trend) as n_with_data,
        count(*) filter (where trend = 'improved') as n_improved,
        count(*) filter (where trend = 'worse') as n_worse,
        count(*) filter (where trend = 'same') as n_same

    from judged_indicators
    group by grouping sets (
        (authority, reporting_period, judged_as, priority_number),
        (authority, reporting_period, judged_as)
    )

)

select
    authority,  -- The reporting council, as its returns name it.
    reporting_period,  -- The quarter the returns are as at, e.g. '2024-25 Q2'.
    judged_as,  -- 'published' (each period on its own returns, as its report said it) or 'restated' (on the latest revision of every value).
    priority,  -- The strategy priority (1 to 6); NULL on the total row.
    n_with_data,  -- Indicators with a trend, computed or reported.
    n_improved,  -- Indicators better than a year earlier.
    n_worse,  -- Indicators worse than a year earlier.
    n_same,  -- Indicators the same as a year earlier.
    rules.per_cent(n_improved, n_with_data) as pct_improved,  -- Per cent (0-100, unrounded) of the indicators with a trend that improved.
    rules.per_cent(n_worse, n_with_data) as pct_worse,  -- Per cent (0-100, unrounded) of the indicators with a trend that got worse.
    rules.per_cent(n_same, n_with_data) as pct_same  -- Per cent (0-100, unrounded) of the indicators with a trend that stayed the same.

from counted
