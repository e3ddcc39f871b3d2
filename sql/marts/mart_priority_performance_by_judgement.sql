-- Performance against target (the reports' table 4.1) under both judgements
-- of a period, counted once: judged_as 'published' rows judge each period on
-- its own returns only (the fact's published_* columns), as its report said
-- it; 'restated' rows judge it on the latest revision of every value (a lagged
-- figure filled in later, a value a later return restated). The two summaries
-- analysts read, mart_priority_performance and
-- mart_priority_performance_restated, are this table's rows of one judgement.
-- Per authority, reporting period and judgement, a row per priority and a
-- total row whose priority is NULL. Per cents are of the indicators with data,
-- 0-100, unrounded; NULL where no indicator has data.
-- partitioned by: reporting_period
-- grain: authority, reporting_period, judged_as, priority
--
-- With data: a value as at the period and a target, so a status. A data gap:
-- an indicator of the return with no value for the year so far, whatever its
-- cells say instead ('Data collection currently suspended by NHS').

with judgements (judged_as) as (

    values ('published'), ('restated')

),

judged_indicators as (

    -- Each indicator once per judgement, from one pass over the fact: the published_*
    -- columns for the published judgement, the unprefixed ones for the restated.
    select
        authority,
        period_key as reporting_period,
        priority_number,
        judgements.judged_as,
        case judgements.judged_as
            when 'published' then published_performance_status else performance_status
        end as performance_status,
        case judgements.judged_as
            when 'published' then published_value_as_at else value_as_at
        end as value_as_at
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
        count(performance_status) as n_with_data,
        count(*) filter (where performance_status = 'met') as n_met,
        count(*) filter (where performance_status = 'within') as n_within,
        count(*) filter (where performance_status = 'not met') as n_not_met,
        count(*) filter (where value_as_at is null) as n_data_gaps

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
    n_with_data,  -- Indicators with a value and a target, so a status.
    n_met,  -- Indicators that met their target.
    n_within,  -- Indicators within 5% of their target.
    n_not_met,  -- Indicators more than 5% from their target.
    rules.per_cent(n_met, n_with_data) as pct_met,  -- Per cent (0-100, unrounded) of the indicators with data that met their target.
    rules.per_cent(n_within, n_with_data) as pct_within,  -- Per cent (0-100, unrounded) of the indicators with data within 5% of their target.
    rules.per_cent(n_not_met, n_with_data) as pct_not_met,  -- Per cent (0-100, unrounded) of the indicators with data more than 5% from their target.
    n_data_gaps  -- Indicators of the returns with no value for the year so far, whatever their cells say instead.

from counted
