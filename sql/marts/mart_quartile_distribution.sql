-- Where the authority stands among its comparator family, as the reports
-- publish it (table 4.3), as published: from the period's own returns (its
-- printed quartiles and its comparator return's values);
-- mart_quartile_distribution_restated uses the latest comparator values. Per
-- authority and reporting period, a row per priority and a total row whose
-- priority is NULL. Per cents are of the indicators with a quartile, 0-100,
-- unrounded; NULL where none has one. The rows are
-- mart_quartile_distribution_by_judgement's published ones, where they are
-- counted.
-- partitioned by: reporting_period
-- grain: authority, reporting_period, priority

select
    authority,  -- The reporting council, as its returns name it.
    reporting_period,  -- The quarter the returns are as at, e.g. '2024-25 Q2'.
    priority,  -- The strategy priority (1 to 6); NULL on the total row.
    n_with_data,  -- Indicators with a comparator quartile, computed or readable as reported, with a value this quarter or not.
    n_computed,  -- Of those, the indicators whose quartile was computed from the comparator group's values rather than copied from the return.
    n_q1,  -- Indicators in the 1st (best) quartile of their comparator family.
    n_q2,  -- Indicators in the 2nd quartile of their comparator family.
    n_q3,  -- Indicators in the 3rd quartile of their comparator family.
    n_q4,  -- Indicators in the 4th (worst) quartile of their comparator family.
    pct_q1,  -- Per cent (0-100, unrounded) of the indicators with a quartile that are in the 1st.
    pct_q2,  -- Per cent (0-100, unrounded) of the indicators with a quartile that are in the 2nd.
    pct_q3,  -- Per cent (0-100, unrounded) of the indicators with a quartile that are in the 3rd.
    pct_q4  -- Per cent (0-100, unrounded) of the indicators with a quartile that are in the 4th.

from marts.mart_quartile_distribution_by_judgement
where judged_as = 'published'
