-- Where the authority stands in each comparator group of its comparator
-- returns, computed from the values of the group's members rather than copied:
-- the group's size, mean, median and percentiles, the authority's rank, and its
-- quartile by each published method (sql/macros/quartiles.sql), with the one the
-- return chose.
-- grain: authority, reporting_period, ref, comparator_group, comparator_period
--
-- A comparator return lists, per indicator, comparator group and comparator
-- period, every member authority of the group with its value; the authority
-- whose return it is should be one of them. Each return's groups are computed
-- from the authority's current comparator rows for that period: a member given
-- in two of its returns is taken from the later file (stg_comparator_returns).
-- Only members with a value count: they make the group's size and statistics,
-- and only they are ranked and quartiled. A group with fewer than four of them
-- has no quartile. Where the authority is not a member, or its value is blank, it
-- has no rank and no quartile; the group's statistics still stand.

with comparator_rows as (

    select * from staging.stg_comparator_returns

),

comparator_groups as (

    -- One row per comparator group of each return. Its description is the
    -- return's: the same on each of the group's rows.
    select
        authority,
        reporting_period,
        ref,
        comparator_group,
        comparator_period,
        min(financial_year_start) as financial_year_start,
        min(reporting_quarter) as reporting_quarter,
        min(indicator) as indicator,
        min(polarity) as polarity,
        min(quartile_method) as return_quartile_method,
        list(distinct file_path order by file_path) as source_file_paths,
        count(value) as group_size,
        avg(value) as group_mean,
        -- Type 7 percentiles (Excel PERCENTILE.INC): the LAIT cut points.
        quantile_cont(value, 0.25) as group_p25,
        quantile_cont(value, 0.5) as group_median,
        quantile_cont(value, 0.75) as group_p75

    from comparator_rows
    group by authority, reporting_period, ref, comparator_group, comparator_period

),

members as (

    select
        comparator_rows.authority,
        comparator_rows.reporting_period,
        comparator_rows.ref,
        comparator_rows.comparator_group,
        comparator_rows.comparator_period,
        comparator_rows.member_authority,
        comparator_rows.value,
        rules.better_first(comparator_rows.value, comparator_groups.polarity) as better_first

    from comparator_rows
    inner join comparator_groups
        on comparator_rows.authority = comparator_groups.authority
        and comparator_rows.reporting_period = comparator_groups.reporting_period
        and comparator_rows.ref = comparator_groups.ref
        and comparator_rows.comparator_group = comparator_groups.comparator_group
        and comparator_rows.comparator_period = comparator_groups.comparator_period

),

ranked_members as (

    -- Members without a value (or of a group with no polarity) sit in a
    -- partition of their own and are given no rank. NTILE breaks ties by
    -- member_authority so that tied members always fall the same way.
    select
        *,
        case when better_first is not null then rank() over best_first end as rank,
        case when better_first is not null then ntile(4) over best_first_by_name end as ntile_4

    from members
    window
        best_first as (
            partition by
                authority, reporting_period, ref, comparator_group, comparator_period,
                better_first is null
            order by better_first
        ),
        best_first_by_name as (
            partition by
                authority, reporting_period, ref, comparator_group, comparator_period,
                better_first is null
            order by better_first, member_authority
        )

),

positioned as (

    select
        comparator_groups.*,
        own.member_authority is not null as authority_in_group,
        own.value,
        own.rank,
        rules.quartile_lait(
            own.value,
            comparator_groups.group_p25,
            comparator_groups.group_median,
            comparator_groups.group_p75,
            comparator_groups.polarity,
            comparator_groups.group_size
        ) as quartile_lait,
        rules.quartile_ohid(own.rank, comparator_groups.group_size) as quartile_ohid,
        rules.quartile_ntile(own.ntile_4, comparator_groups.group_size) as quartile_ntile

    from comparator_groups
    left join ranked_members as own
        on comparator_groups.authority = own.authority
        and comparator_groups.reporting_period = own.reporting_period
        and comparator_groups.ref = own.ref
        and comparator_groups.comparator_group = own.comparator_group
        and comparator_groups.comparator_period = own.comparator_period
        and comparator_groups.authority = own.member_authority

),

chosen as (

    select
        *,
        rules.quartile_by_method(
            return_quartile_method, quartile_lait, quartile_ohid, quartile_ntile
        ) as quartile

    from positioned

)

select
    authority,  -- The council whose comparator return it is, as its returns name it.
    reporting_period,  -- The quarter of the return, e.g. '2024-25 Q2'.
    financial_year_start,  -- The calendar year the return's financial year starts in: 2024 for 2024-25.
    reporting_quarter,  -- The quarter of the financial year the return is for (1 to 4).
    ref,  -- The indicator's reference, e.g. CYP-006.
    indicator,  -- The indicator's title, as the comparator return gives it.
    polarity,  -- Which way is better: 'Higher' or 'Lower'.
    comparator_group,  -- The comparator group, e.g. 'CIPFA nearest neighbours', 'DfE statistical neighbours'.
    comparator_period,  -- The year the comparison is for, e.g. '2022/23'.
    value,  -- The authority's own value in the group; NULL where it is not a member or its value was not supplied.
    authority_in_group,  -- True where the authority is one of the group's members (with a value or not).
    group_size,  -- The number of the group's members with a value: those counted, ranked and quartiled.
    group_mean,  -- The mean of the members' values.
    group_median,  -- The median of the members' values (the 50th percentile, LAIT's middle cut point).
    group_p25,  -- The 25th percentile of the members' values by Excel PERCENTILE.INC (type 7): LAIT's lower cut point.
    group_p75,  -- The 75th percentile of the members' values by Excel PERCENTILE.INC (type 7): LAIT's upper cut point.
    rank,  -- The authority's rank among the members with a value, 1 the best by polarity; tied values share the best rank.
    quartile_lait,  -- The quartile by DfE LAIT's banding (1 best): type 7 cut points, a value on a cut point in the worse band; NULL in a group of fewer than four.
    quartile_ohid,  -- The quartile by OHID's method (PHEindicatormethods phe_quantile, nquantiles = 4) on the rank (1 best); NULL in a group of fewer than four.
    quartile_ntile,  -- The quartile by NTILE(4) over the members best first, ties by member name (1 best); NULL in a group of fewer than four.
    quartile,  -- The quartile by the method the return chose: 1 (the best 25%) to 4 (the worst 25%).
    case when quartile is not null then return_quartile_method end as quartile_method,  -- The method that gave quartile ('lait', 'ohid' or 'ntile'); NULL where there is no quartile.
    return_quartile_method,  -- The method the return chose, whether or not it gave a quartile.
    source_file_paths  -- The comparator return files the group's rows came from, relative to the returns folder: one, unless a later return replaced some members' values.

from chosen
