-- The comparator quartile of each indicator of each return, as the summaries
-- count it: computed from the comparator group's values where the authority's
-- comparator return holds them (marts.fct_comparator_position), else as the
-- return reported it; beside both, so that a disagreement shows.
-- grain: authority, reporting_period, ref
--
-- An indicator compared in more than one group takes the group whose period is
-- the one its return reported (2022/23 and 2022-23 alike), then the latest
-- period, then the group first by name.
--
-- quartile is as published: from the period's own comparator return.
-- restated_quartile takes the same group and comparator period from the
-- authority's latest comparator return that holds them, where a later one
-- revised the values.

with return_indicators as (

    select
        authority,
        period_key as reporting_period,
        priority_number,
        ref,
        comparative_quartile as reported_quartile,
        comparator_period as reported_comparator_period
    from marts.fct_indicator_observations
    where in_return_for_period

),

positions as (

    select * from marts.fct_comparator_position
    where quartile is not null

),

latest_positions as (

    select authority, ref, comparator_group, comparator_period, quartile
    from positions
    qualify row_number() over (
        partition by authority, ref, comparator_group, comparator_period
        order by rules.quarter_index(financial_year_start, reporting_quarter) desc
    ) = 1

),

matched as (

    select
        return_indicators.*,
        positions.quartile as computed_quartile,
        positions.quartile_method,
        positions.comparator_group,
        positions.comparator_period as computed_comparator_period

    from return_indicators
    left join positions
        on return_indicators.authority = positions.authority
        and return_indicators.reporting_period = positions.reporting_period
        and return_indicators.ref = positions.ref
    qualify row_number() over (
        partition by return_indicators.authority, return_indicators.reporting_period,
            return_indicators.ref
        order by
            replace(positions.comparator_period, '-', '/')
                = replace(return_indicators.reported_comparator_period, '-', '/') desc nulls last,
            positions.comparator_period desc nulls last,
            positions.comparator_group asc
    ) = 1

),

restated as (

    select
        matched.*,
        coalesce(latest_positions.quartile, matched.computed_quartile) as restated_computed_quartile

    from matched
    left join latest_positions
        on matched.authority = latest_positions.authority
        and matched.ref = latest_positions.ref
        and matched.comparator_group = latest_positions.comparator_group
        and matched.computed_comparator_period = latest_positions.comparator_period

)

select
    authority,  -- The reporting council, as its returns name it.
    reporting_period,  -- The quarter the return is as at, e.g. '2024-25 Q2'.
    priority_number,  -- The strategy priority the indicator is filed under.
    ref,  -- The indicator's reference, e.g. CYP-006.
    reported_quartile,  -- The quartile the return printed (1 best to 4 worst); NULL if none or unreadable.
    reported_comparator_period,  -- The period the return said its quartile describes, e.g. '2022/23'.
    computed_quartile,  -- The quartile computed from the comparator group's values; NULL where no comparator return gives one.
    quartile_method,  -- The method that computed it: 'lait', 'ohid' or 'ntile' (sql/macros/quartiles.sql).
    comparator_group,  -- The comparator group it was computed in.
    computed_comparator_period,  -- The period of the values it was computed from.
    coalesce(computed_quartile, reported_quartile) as quartile,  -- The quartile as published, what mart_quartile_distribution counts: the computed one where the period's own comparator return gives one, else the reported one.
    case
        when computed_quartile is not null then 'computed'
        when reported_quartile is not null then 'reported'
    end as quartile_source,  -- Which one quartile is: 'computed' or 'reported'; NULL where there is neither.
    coalesce(restated_computed_quartile, reported_quartile) as restated_quartile,  -- The quartile restated: computed from the latest comparator return holding the same group and period, else the reported one; what mart_quartile_distribution_restated counts.
    case
        when restated_computed_quartile is not null then 'computed'
        when reported_quartile is not null then 'reported'
    end as restated_quartile_source  -- Which one restated_quartile is: 'computed' or 'reported'.

from restated
