-- Where the authority stands among its comparator family, as the reports
-- publish it (table 4.3): per authority and reporting period, a row per
-- priority and a total row whose priority is NULL. Per cents are of the
-- indicators with a quartile, 0-100, unrounded; NULL where none has one.
-- partitioned by: reporting_period
-- grain: authority, reporting_period, priority
--
-- A quartile describes the comparator period, not this quarter's value, so
-- every indicator of the return with a readable quartile counts, with a value
-- this quarter or not.

with period_indicators as (

    select authority, period_key as reporting_period, priority_number, comparative_quartile
    from marts.fct_indicator_observations
    where in_return_for_period

),

counted as (

    select
        authority,
        reporting_period,
        priority_number as priority,
        count(comparative_quartile) as n_with_data,
        count(*) filter (where comparative_quartile = 1) as n_q1,
        count(*) filter (where comparative_quartile = 2) as n_q2,
        count(*) filter (where comparative_quartile = 3) as n_q3,
        count(*) filter (where comparative_quartile = 4) as n_q4

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
    n_q1,
    n_q2,
    n_q3,
    n_q4,
    100.0 * n_q1 / nullif(n_with_data, 0) as pct_q1,
    100.0 * n_q2 / nullif(n_with_data, 0) as pct_q2,
    100.0 * n_q3 / nullif(n_with_data, 0) as pct_q3,
    100.0 * n_q4 / nullif(n_with_data, 0) as pct_q4

from counted
