-- mart_priority_trend_restated as its suite sees it, with what each row must agree with: its
-- categories and per cents summed, and on the total row the sum of the
-- priority rows and counts made straight from the fact table, category by category.
with fact_counts as (

    select
        authority,
        period_key as reporting_period,
        count(trend) as n_with_data,
        count(*) filter (where trend = 'improved') as n_improved,
        count(*) filter (where trend = 'worse') as n_worse,
        count(*) filter (where trend = 'same') as n_same
    from marts.fct_indicator_observations
    where in_return_for_period
    group by authority, period_key

),

priority_sums as (

    select authority, reporting_period, sum(n_with_data) as n_with_data
    from marts.mart_priority_trend_restated
    where priority is not null
    group by authority, reporting_period

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

from marts.mart_priority_trend_restated as mart
left join fact_counts using (authority, reporting_period)
left join priority_sums using (authority, reporting_period)
