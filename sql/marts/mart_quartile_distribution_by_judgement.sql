-- Where the authority stands among its comparator family (the reports' table
-- 4.3) under both judgements of a period, counted once: judged_as 'published'
-- rows take the period's own returns (its printed quartiles and its
-- comparator return's values: marts.fct_indicator_quartiles' quartile);
-- 'restated' rows compute each quartile from the latest comparator return that
-- holds the same group and comparator period (restated_quartile). The two
-- summaries analysts read, mart_quartile_distribution and
-- mart_quartile_distribution_restated, are this table's rows of one judgement.
-- Per authority, reporting period and judgement, a row per priority and a
-- total row whose priority is NULL. Per cents are of the indicators with a
-- quartile, 0-100, unrounded; NULL where none has one.
-- partitioned by: reporting_period
-- grain: authority, reporting_period, judged_as, priority
--
-- A quartile describes the comparator period, not this quarter's value, so
-- every indicator of the return with a readable quartile counts, with a value
-- this quarter or not. The quartile is the computed one where the comparator
-- values are held, else the reported one; n_computed says how many were
-- computed.

with judgements (judged_as) as (

    values ('published'), ('restated')

),

judged_indicators as (

    -- Each indicator once per judgement, from one pass over the quartiles: the
    -- unprefixed columns for the published judgement, the restated_* ones for the
    -- restated.
    select
        authority,
        reporting_period,
        priority_number,
        judgements.judged_as,
        case judgements.judged_as
            when 'published' then quartile else restated_quartile
        end as quartile,
        case judgements.judged_as
            when 'published' then quartile_source else restated_quartile_source
        end as quartile_source
    from marts.fct_indicator_quartiles
    cross join judgements

),

counted as (

    select
        authority,
        reporting_period,
        judged_as,
        priority_number as priority,
        count(quartile) as n_with_data,
        count(*) filter (where quartile_source = 'computed') as n_computed,
        count(*) filter (where quartile = 1) as n_q1,
        count(*) filter (where quartile = 2) as n_q2,
        count(*) filter (where quartile = 3) as n_q3,
        count(*) filter (where quartile = 4) as n_q4

    from judged_indicators
    group by grouping sets (
        (authority, reporting_period, judged_as, priority_number),
        (authority, reporting_period, judged_as)
    )

)

select
    authority,  -- The reporting council, as its returns name it.
    reporting_period,  -- The quarter the returns are as at, e.g. '2024-25 Q2'.
    judged_as,  -- 'published' (each period on its own returns, as its report said it) or 'restated' (on the latest comparator return holding the same group and period).
    priority,  -- The strategy priority (1 to 6); NULL on the total row.
    n_with_data,  -- Indicators with a comparator quartile, computed or readable as reported, with a value this quarter or not.
    n_computed,  -- Of those, the indicators whose quartile was computed from the comparator group's values rather than copied from the return.
    n_q1,  -- Indicators in the 1st (best) quartile of their comparator family.
    n_q2,  -- Indicators in the 2nd quartile of their comparator family.
    n_q3,  -- Indicators in the 3rd quartile of their comparator family.
    n_q4,  -- Indicators in the 4th (worst) quartile of their comparator family.
    rules.per_cent(n_q1, n_with_data) as pct_q1,  -- Per cent (0-100, unrounded) of the indicators with a quartile that are in the 1st.
    rules.per_cent(n_q2, n_with_data) as pct_q2,  -- Per cent (0-100, unrounded) of the indicators with a quartile that are in the 2nd.
    rules.per_cent(n_q3, n_with_data) as pct_q3,  -- Per cent (0-100, unrounded) of the indicators with a quartile that are in the 3rd.
    rules.per_cent(n_q4, n_with_data) as pct_q4  -- Per cent (0-100, unrounded) of the indicators with a quartile that are in the 4th.

from counted
