-- Each indicator an authority reports, as its latest return describes it.
-- grain: authority, ref

with ranked as (

    select
        *,
        row_number() over (
            partition by authority, ref order by financial_year_start desc
        ) as year_recency

    from intermediate.int_indicator_years

)

select
    authority,
    ref,
    indicator,
    priority_number,
    outcome,
    tier,
    frequency,
    polarity,
    measure_type,
    attributes_from_reporting_period as described_in_reporting_period

from ranked
where year_recency = 1
