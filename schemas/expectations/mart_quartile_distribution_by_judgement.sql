-- mart_quartile_distribution_by_judgement as its suite sees it, with what each row must
-- agree with: its categories and per cents summed, and on the total row the sum of the
-- priority rows and counts made straight from the indicators' quartiles under the same
-- judgement, category by category. (The quartiles are listed once per judgement here,
-- not unpivoted as the mart does, so that the two are counted independently.)
with judged_quartiles as (

    select authority, reporting_period, 'published' as judged_as, quartile
    from marts.fct_indicator_quartiles
    union all
    select authority, reporting_period, 'restated' as judged_as, restated_quartile
    from marts.fct_indicator_quartiles

),

fact_counts as (

    select
        authority,
        reporting_period,
        judged_as,
        count(quartile) as n_with_data,
        count(*) filter (where quartile = 1) as n_q1,
        count(*) filter (where quartile = 2) as n_q2,
        count(*) filter (where quartile = 3) as n_q3,
        count(*) filter (where quartile = 4) as n_q4
    from judged_quartiles
    group by authority, reporting_period, judged_as

),

priority_sums as (

    select authority, reporting_period, judged_as, sum(n_with_data) as n_with_data
    from marts.mart_quartile_distribution_by_judgement
    where priority is not null
    group by authority, reporting_period, judged_as

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

from marts.mart_quartile_distribution_by_judgement as mart
left join fact_counts using (authority, reporting_period, judged_as)
left join priority_sums using (authority, reporting_period, judged_as)
