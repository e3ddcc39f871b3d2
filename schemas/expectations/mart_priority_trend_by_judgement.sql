-- mart_priority_trend_by_judgement as its suite sees it, with what each row must agree
-- with: its categories and per cents summed, and on the total row the sum of the
-- priority rows and counts made straight from the fact table under the same judgement,
-- category by category. (The fact's trends are listed once per judgement here, not
-- unpivoted as the mart does, so that the two are counted independently.)
with fact_trends as (

    select authority, period_key as reporting_period, 'published' as judged_as,
        published_trend as trend
    from marts.fct_indicator_observations
    where in_return_for_period
    union all
    select authority, period_key, 'restated' as judged_as, trend
    from marts.fct_indicator_observations
    where in_return_for_period

),

fact_counts as (

    select
        authority,
        reporting_period,
        judged_as,
        count(trend) as n_with_data,
        count(*) filter (where trend = 'improved') as n_improved,
        count(*) filter (where trend = 'worse') as n_worse,
        count(*) filter (where trend = 'same') as n_same
    from fact_trends
    group by authority, reporting_period, judged_as

),

priority_sums as (

    select authority, reporting_period, judged_as, sum(n_with_data) as n_with_data
    from marts.mart_priority_trend_by_judgement
    where priority is not null
    group by authority, reporting_period, judged_as

)

select
    mart.*,
    mart.n_improved + mart.n_worse + mart.n_same as n_categories,
    pct_improved + pct_worse + pct_same as pct_total,
    case when mart.priority is null then fact_counts.n_with_data end as n_with_data_in_fact,
    case when mart.priority is null then priority_sums.n_with_data end as n_with_data_of_priorities,
    case when mart.priority is null then fact_counts.n_improved end as n_improved_in_fact,
    case when mart.priority is null then fact_counts.n_worse end as n_worse_in_fact,
    case when mart.priority is null then fact_counts.n_same end as n_same_in_fact

from marts.mart_priority_trend_by_judgement as mart
left join fact_counts using (authority, reporting_period, judged_as)
left join priority_sums using (authority, reporting_period, judged_as)
