-- mart_quartile_distribution_restated as its suite sees it, with what each row must agree with: its
-- categories and per cents summed, and on the total row the sum of the
-- priority rows and counts made straight from the indicators' quartiles, category by category.
with fact_counts as (

    select
        authority,
        reporting_period,
        count(restated_quartile) as n_with_data,
        count(*) filter (where restated_quartile = 1) as n_q1,
        count(*) filter (where restated_quartile = 2) as n_q2,
        count(*) filter (where restated_quartile = 3) as n_q3,
        count(*) filter (where restated_quartile = 4) as n_q4
    from marts.fct_indicator_quartiles
    group by authority, reporting_period

),

priority_sums as (

    select authority, reporting_period, sum(n_with_data) as n_with_data
    from marts.mart_quartile_distribution_restated
    where priority is not null
    group by authority, reporting_period

)

select
    mart.*,
    mart.n_q1 + mart.n_q2 + mart.n_q3 + mart.n_q4 as n_categories,
    pct_q1 + pct_q2 + pct_q3 + pct_q4 as pct_total,
    case when mart.priority is null then fact_counts.n_with_data end as n_with_data_in_fact,
    case when mart.priority is null then priority_sums.n_with_data end as n_with_data_of_priorities,
    case when mart.priority is null then fact_counts.n_q1 end as n_q1_in_fact,
    case when mart.priority is null then fact_counts.n_q2 end as n_q2_in_fact,
    case when mart.priority is null then fact_counts.n_q3 end as n_q3_in_fact,
    case when mart.priority is null then fact_counts.n_q4 end as n_q4_in_fact

from marts.mart_quartile_distribution_restated as mart
left join fact_counts using (authority, reporting_period)
left join priority_sums using (authority, reporting_period)
