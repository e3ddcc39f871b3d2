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
    authority,  -- The reporting council, as its returns name it.
    ref,  -- The indicator's reference, letters in capitals, e.g. CYP-006.
    indicator,  -- The indicator's title, as its return gives it.
    priority_number,  -- The strategy priority (1 to 6) the latest return files the indicator under.
    outcome,  -- The outcome of the strategy the indicator serves, as printed.
    tier,  -- 1 (a strategic, Outcomes Framework indicator) or 2 (a service indicator), where the return says.
    frequency,  -- How often the indicator is reported, as the return says (Quarterly, Quarterly (lagged), Annual ...).
    polarity,  -- Which way is better: 'Higher' or 'Lower'.
    measure_type,  -- 'snapshot' (judged against the annual target as it stands) or 'cumulative' (a year-to-date count, judged against the target pro rata).
    attributes_from_reporting_period as described_in_reporting_period  -- The reporting period of the return these attributes come from.

from ranked
where year_recency = 1
