-- mart_priority_performance_by_judgement as its suite sees it, with what each row must
-- agree with: its categories and per cents summed, and on the total row the sum of the
-- priority rows and counts made straight from the fact table under the same judgement,
-- category by category. (The fact's statuses are listed once per judgement here, not
-- unpivoted as the mart does, so that the two are counted independently.)
with fact_statuses as (

    select authority, period_key as reporting_period, 'published' as judged_as,
        published_performance_status as performance_status
    from marts.fct_indicator_observations
    where in_return_for_period
    union all
    select authority, period_key, 'restated' as judged_as, performance_status
    from marts.fct_indicator_observations
    where in_return_for_period

),

fact_counts as (

    select
        authority,
        reporting_period,
        judged_as,
        count(performance_status) as n_with_data,
        count(*) filter (where performance_status = 'met') as n_met,
        count(*) filter (where performance_status = 'within') as n_within,
        count(*) filter (where performance_status = 'not met') as n_not_met
    from fact_statuses
    group by authority, reporting_period, judged_as

),

priority_sums as (

    select authority, reporting_period, judged_as, sum(n_with_data) as n_with_data
    from marts.mart_priority_performance_by_judgement
    where priority is not null
    group by authority, reporting_period, judged_as

)

select
    mart.*,
    mart.n_met + mart.n_within + mart.n_not_met as n_categories,
    pct_met + pct_within + pct_not_met as pct_total,
    case when mart.priority is null then fact_counts.n_with_data end as n_with_data_in_fact,
    case when mart.priority is null then priority_sums.n_with_data end as n_with_data_of_priorities,
    case when mart.priority is null then fact_counts.n_met end as n_met_in_fact,
    case when mart.priority is null then fact_counts.n_within end as n_within_in_fact,
    case when mart.priority is null then fact_counts.n_not_met end as n_not_met_in_fact

from marts.mart_priority_performance_by_judgement as mart
left join fact_counts using (authority, reporting_period, judged_as)
left join priority_sums using (authority, reporting_period, judged_as)
