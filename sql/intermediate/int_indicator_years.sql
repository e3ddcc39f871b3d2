-- What the indicator is, and what it is aiming at, in each financial year:
-- taken from the year's latest return that reports it.
-- grain: authority, ref, financial_year_start
-- incremental by: financial_year_start

-- Incremental, as the fact table that reads it is: a year's row comes from that
-- year's returns alone.

with ranked as (

    select
        *,
        row_number() over (
            partition by authority, ref, financial_year_start
            order by return_order desc
        ) as return_recency

    from staging.stg_indicator_returns

)

select
    authority,
    ref,
    financial_year_start,
    indicator,
    priority_number,
    priority_name,
    outcome,
    tier,
    frequency,
    polarity,
    measure_type,
    annual_target,
    profiled_targets,
    reporting_period as attributes_from_reporting_period,
    return_order as attributes_from_return_order

from ranked
where return_recency = 1
