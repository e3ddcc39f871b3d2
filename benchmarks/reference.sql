-- The bare reference's work after reading (benchmarks/reference.py reads every
-- return into raw_returns, each cell as text): the cells parsed with vectorised
-- expressions, the fact table of the returns' indicators judged by the rule
-- macros of sql/macros/, and the three summary marts. The same reading of a
-- period's value as the pipeline: the later return wins, a number beats a note,
-- last year's outturn stands for last year's Q4, and a period without a value is
-- judged on the year's latest value before it. Never used to build the warehouse.

-- A number as typed: `1,412,857`, `94.19%`, `-6.25`; anything else is no number.
create macro typed_number(cell) as (
    with t as (select regexp_replace(regexp_replace(trim(cell), '\s+', '', 'g'), '^[−–—]', '-') as text)
    select case
        when regexp_full_match(text, '[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.[0-9]+)?%?')
            and regexp_matches(text, '[0-9]')
            then cast(rtrim(replace(text, ',', ''), '%') as double)
    end
    from t
);

create table returns as
with parsed as (
    select
        trim(authority) as authority,
        cast(regexp_extract(reporting_period, '(\d{4})\s*[-/–]\s*\d{2,4}', 1) as integer)
            as financial_year_start,
        cast(regexp_extract(lower(reporting_period), '(?:^|[^a-z])q(?:uarter|tr)?\s*([1-4])', 1)
            as integer) as reporting_quarter,
        cast(regexp_extract(priority, '^(?i:priority|p)?\s*(\d{1,2})', 1) as integer)
            as priority_number,
        upper(trim(ref)) as ref,
        case lower(regexp_extract(trim(polarity), '^(?i:(higher|lower))', 1))
            when 'higher' then 'Higher' when 'lower' then 'Lower' end as polarity,
        coalesce(nullif(lower(trim(measure_type)), ''), 'snapshot') as measure_type,
        nullif(trim(target), '') as target_text,
        typed_number(target) as annual_target,
        typed_number(previous_outturn) as previous_outturn,
        nullif(trim(previous_outturn), '') is not null as previous_outturn_typed,
        [typed_number(q1), typed_number(q2), typed_number(q3), typed_number(q4)] as quarter_values,
        [nullif(trim(q1), '') is not null, nullif(trim(q2), '') is not null,
         nullif(trim(q3), '') is not null, nullif(trim(q4), '') is not null] as quarter_typed,
        case trim(reported_trend)
            when '↑' then 'improved' when '↓' then 'worse' when '↔' then 'same'
        end as reported_trend,
        cast(regexp_extract(lower(trim(comparative_quartile)),
                            '^([1-4])\s*(?:st|nd|rd|th)?\s*(?:quartile\b|$)', 1) as integer)
            as reported_quartile
    from raw_returns
)
-- The gate's one rejection these returns can earn: a target that is not a number.
select
    *,
    dense_rank() over (
        partition by authority order by financial_year_start, reporting_quarter
    ) as return_order
from parsed
where target_text is null or annual_target is not null;

create table fct as
with cells as (
    select
        authority, ref, financial_year_start, quarter * 3 as fiscal_month,
        quarter_values[quarter] as value, return_order, 1 as precedence
    from returns, range(1, 5) as quarters(quarter)
    where quarter_typed[quarter]
    union all
    select authority, ref, financial_year_start - 1, 12, previous_outturn, return_order, 1
    from returns
    where previous_outturn_typed
),

period_values as (
    select authority, ref, financial_year_start, fiscal_month, value
    from cells
    qualify row_number() over (
        partition by authority, ref, financial_year_start, fiscal_month
        order by value is not null desc, return_order desc, precedence
    ) = 1
),

periods as (
    select authority, ref, financial_year_start, fiscal_month from period_values
    union
    select authority, ref, financial_year_start, reporting_quarter * 3 from returns
),

as_at as (
    select
        periods.*,
        last_value(value ignore nulls) over year_to_date as value_as_at,
        last_value(case when value is not null then periods.fiscal_month end ignore nulls)
            over year_to_date as value_as_at_fiscal_month
    from periods
    left join period_values using (authority, ref, financial_year_start, fiscal_month)
    window year_to_date as (
        partition by authority, ref, financial_year_start order by fiscal_month
        rows between unbounded preceding and current row
    )
),

-- The returns' indicators: the latest return as at each period gives its row.
return_indicators as (
    select *
    from returns
    qualify row_number() over (
        partition by authority, financial_year_start, reporting_quarter, ref
        order by return_order desc
    ) = 1
),

judged as (
    select
        r.authority,
        rules.quarter_period_key(r.financial_year_start, r.reporting_quarter) as reporting_period,
        r.priority_number,
        r.ref,
        now.value_as_at,
        rules.period_target(
            r.annual_target, [null, null, null, null]::double[], r.measure_type,
            coalesce(now.value_as_at_fiscal_month, now.fiscal_month)
        ) as period_target,
        r.polarity,
        year_earlier.value_as_at as value_year_earlier,
        r.reported_trend,
        r.reported_quartile
    from return_indicators as r
    join as_at as now
        on now.authority = r.authority and now.ref = r.ref
        and now.financial_year_start = r.financial_year_start
        and now.fiscal_month = r.reporting_quarter * 3
    left join as_at as year_earlier
        on year_earlier.authority = r.authority and year_earlier.ref = r.ref
        and year_earlier.financial_year_start = r.financial_year_start - 1
        and year_earlier.fiscal_month = coalesce(now.value_as_at_fiscal_month, now.fiscal_month)
)

select
    authority, reporting_period, priority_number, ref, value_as_at,
    rules.performance_status(value_as_at, period_target, polarity) as performance_status,
    rules.trend_with_basis(
        value_as_at, value_year_earlier, null, reported_trend, polarity
    ).trend as trend,
    reported_quartile as quartile
from judged;

create table mart_priority_performance as
select
    authority, reporting_period, priority_number as priority,
    count(performance_status) as n_with_data,
    count(*) filter (where performance_status = 'met') as n_met,
    count(*) filter (where performance_status = 'within') as n_within,
    count(*) filter (where performance_status = 'not met') as n_not_met,
    count(*) filter (where value_as_at is null) as n_data_gaps
from fct
group by grouping sets ((authority, reporting_period, priority_number),
                        (authority, reporting_period));

create table mart_priority_trend as
select
    authority, reporting_period, priority_number as priority,
    count(trend) as n_with_data,
    count(*) filter (where trend = 'improved') as n_improved,
    count(*) filter (where trend = 'worse') as n_worse,
    count(*) filter (where trend = 'same') as n_same
from fct
group by grouping sets ((authority, reporting_period, priority_number),
                        (authority, reporting_period));

create table mart_quartile_distribution as
select
    authority, reporting_period, priority_number as priority,
    count(quartile) as n_with_data,
    count(*) filter (where quartile = 1) as n_q1,
    count(*) filter (where quartile = 2) as n_q2,
    count(*) filter (where quartile = 3) as n_q3,
    count(*) filter (where quartile = 4) as n_q4
from fct
group by grouping sets ((authority, reporting_period, priority_number),
                        (authority, reporting_period));
