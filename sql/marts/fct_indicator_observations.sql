-- Indicator observations: one row per authority, indicator and period, judged
-- by the rules of the published reports (sql/macros/rules.sql).
-- grain: authority, ref, period_key
-- incremental by: financial_year_start
--
-- A period is every quarter and month any return reports, and each return's
-- reporting period. The value is the one reported for the period (the later
-- return wins; source_* says which return it came from); the judgement uses the
-- value as at the period, so a lagged indicator is judged on its last value.
-- in_return_for_period marks the rows a published summary counts: the
-- indicators of the returns as at that period.
--
-- A reporting period is judged twice. The restated judgement (value_as_at,
-- period_target, variance_pct, performance_status, trend) rests on the latest
-- revision of every value: the best we know now. The published judgement
-- (published_*) rests on the period's own returns only, as the period's report
-- said it: later returns never change it. Both use the period's own return's
-- targets, polarity and measure type.

-- A year's rows rest on the returns of that year, of the year before (the trend
-- compares with it) and of the next (its previous_outturn), and on the variances
-- of earlier years (direction of travel): a new quarter's returns rebuild the rows
-- of their year and the year before, not the whole history (tables.py).

with values_as_at as (

    select * from intermediate.int_indicator_values_as_at

),

indicator_years as (

    select * from intermediate.int_indicator_years

),

as_at_returns as (

    select * from intermediate.int_return_indicators

),

as_published as (

    select * from intermediate.int_indicator_values_as_published

),

judgement_inputs as (

    -- What each period is judged on, in the few columns the judgement needs. The
    -- tables are read here, not through the import CTEs above: DuckDB holds a CTE
    -- read twice in memory, every row of it.
    select
        values_as_at.authority,
        values_as_at.ref,
        values_as_at.period_key,
        values_as_at.period_type,
        values_as_at.period_end,
        values_as_at.value_as_at,
        coalesce(values_as_at.value_as_at_period_key <> values_as_at.period_key, false)
            as is_lagged,
        as_at_returns.ref is not null as in_return_for_period,
        -- A period is judged on its own return's polarity and measure type: a
        -- change later in the year does not re-judge it (check_inconsistent_indicator
        -- flags the change). One known only from the next year's previous_outturn
        -- has no return of its own year, and is judged as the next year's returns,
        -- which printed it, describe it.
        case when as_at_returns.ref is not null then as_at_returns.polarity
            else coalesce(indicator_years.polarity, next_year.polarity) end as polarity,
        case when as_at_returns.ref is not null then as_at_returns.measure_type
            else coalesce(indicator_years.measure_type, next_year.measure_type) end
            as measure_type,
        -- A period is judged against the targets its own return set, even where a
        -- later return of the year changed them (a change check_target_changed_in_year
        -- flags); a period no return is as at takes the year's latest targets.
        case when as_at_returns.ref is not null then as_at_returns.annual_target
            else indicator_years.annual_target end as annual_target,
        case when as_at_returns.ref is not null then as_at_returns.profiled_targets
            else indicator_years.profiled_targets end as profiled_targets,
        coalesce(values_as_at.value_as_at_fiscal_month, values_as_at.fiscal_month)
            as judged_fiscal_month

    from intermediate.int_indicator_values_as_at as values_as_at
    left join intermediate.int_indicator_years as indicator_years
        on values_as_at.authority = indicator_years.authority
        and values_as_at.ref = indicator_years.ref
        and values_as_at.financial_year_start = indicator_years.financial_year_start
    left join intermediate.int_indicator_years as next_year
        on values_as_at.authority = next_year.authority
        and values_as_at.ref = next_year.ref
        and values_as_at.financial_year_start + 1 = next_year.financial_year_start
    left join intermediate.int_return_indicators as as_at_returns
        on values_as_at.authority = as_at_returns.authority
        and values_as_at.ref = as_at_returns.ref
        and values_as_at.period_key = as_at_returns.reporting_period

),

period_targets as (

    select
        *,
        rules.period_target(annual_target, profiled_targets, measure_type, judged_fiscal_month)
            as period_target,
        rules.period_target_basis(profiled_targets, measure_type, judged_fiscal_month)
            as period_target_rule

    from judgement_inputs

),

judgements as (

    -- The restated judgement of every period of every year: direction of travel
    -- reads the variances of earlier years, and a build of some years its rows.
    select
        *,
        rules.variance_pct(value_as_at, period_target, polarity) as variance_pct,
        rules.performance_status(value_as_at, period_target, polarity) as performance_status

    from period_targets

),

directions as (

    -- Direction of travel moves only with new figures: it compares the latest two
    -- variances of periods judged on their own value, up to this one, of any year.
    -- A lagged period repeats the direction of the period its value is from; a
    -- period judged on its own value without a variance has none.
    select
        authority,
        ref,
        period_key,
        case when is_lagged or variance_pct is not null then rules.direction_of_travel(
            recent_own_variances[1], recent_own_variances[2]
        ) end as direction_of_travel

    from (
        select
            *,
            max_by(variance_pct, period_end, 2)
                filter (not is_lagged and variance_pct is not null)
                over (
                    partition by authority, ref, period_type
                    order by period_end
                    rows between unbounded preceding and current row
                ) as recent_own_variances
        from judgements
    ) as with_recent_variances

),

joined as (

    select
        values_as_at.authority,
        values_as_at.ref,
        values_as_at.period_key,
        values_as_at.period_type,
        rules.financial_year_label(values_as_at.financial_year_start) as financial_year,
        values_as_at.financial_year_start,
        values_as_at.fiscal_month,
        values_as_at.period_end,

        -- A period is filed under the priority its own return gave it, and
        -- described by its year's latest return, else by the next year's.
        coalesce(indicator_years.indicator, next_year.indicator) as indicator,
        coalesce(
            as_at_returns.priority_number,
            indicator_years.priority_number,
            next_year.priority_number
        ) as priority_number,
        coalesce(indicator_years.outcome, next_year.outcome) as outcome,
        coalesce(indicator_years.tier, next_year.tier) as tier,
        coalesce(indicator_years.frequency, next_year.frequency) as frequency,
        judgements.polarity,
        judgements.measure_type,

        values_as_at.value,
        values_as_at.note as value_note,
        values_as_at.value_as_at,
        values_as_at.value_as_at_period_key,
        judgements.is_lagged,
        judgements.in_return_for_period,

        judgements.annual_target,
        judgements.profiled_targets,
        judgements.period_target,
        judgements.period_target_rule,
        judgements.variance_pct,
        judgements.performance_status,
        directions.direction_of_travel,

        year_earlier.value_as_at as value_year_earlier,

        as_published.value_as_at as published_value_as_at,
        as_published.value_as_at_period_key as published_value_as_at_period_key,
        as_published.value_as_at_fiscal_month as published_fiscal_month,
        -- The year-earlier period as it was published, else its figure as the
        -- returns up to this period gave it.
        coalesce(year_earlier_published.value_as_at, as_published.value_year_earlier_known)
            as published_value_year_earlier,
        as_at_returns.same_period_last_year,
        as_at_returns.reported_variance,
        as_at_returns.reported_variance_text,
        as_at_returns.reported_trend,
        as_at_returns.reported_trend_text,
        as_at_returns.comparative_quartile,
        as_at_returns.comparative_quartile_text,
        as_at_returns.comparator_period,
        as_at_returns.england_average,
        as_at_returns.comparator_average,
        as_at_returns.commentary,

        coalesce(values_as_at.source_reporting_period, as_at_returns.reporting_period)
            as source_reporting_period,
        values_as_at.source_cell,
        coalesce(values_as_at.source_file_path, as_at_returns.file_path) as source_file_path,
        coalesce(values_as_at.source_file_hash, as_at_returns.file_hash) as source_file_hash,
        coalesce(values_as_at.source_sheet, as_at_returns.sheet) as source_sheet,
        coalesce(values_as_at.source_row_number, as_at_returns.row_number) as source_row_number,
        coalesce(values_as_at.source_loaded_at, as_at_returns.loaded_at) as source_loaded_at,
        as_at_returns.file_path as return_file_path,
        as_at_returns.row_number as return_row_number

    from values_as_at
    inner join judgements
        on values_as_at.authority = judgements.authority
        and values_as_at.ref = judgements.ref
        and values_as_at.period_key = judgements.period_key
    inner join directions
        on values_as_at.authority = directions.authority
        and values_as_at.ref = directions.ref
        and values_as_at.period_key = directions.period_key
    left join indicator_years
        on values_as_at.authority = indicator_years.authority
        and values_as_at.ref = indicator_years.ref
        and values_as_at.financial_year_start = indicator_years.financial_year_start
    -- Read from the tables, not from the import CTEs, as in judgement_inputs.
    left join intermediate.int_indicator_years as next_year
        on values_as_at.authority = next_year.authority
        and values_as_at.ref = next_year.ref
        and values_as_at.financial_year_start + 1 = next_year.financial_year_start
    -- The year as well as the period (which implies it): a build of some years then
    -- reads only their returns.
    left join as_at_returns
        on values_as_at.authority = as_at_returns.authority
        and values_as_at.ref = as_at_returns.ref
        and values_as_at.financial_year_start = as_at_returns.financial_year_start
        and values_as_at.period_key = as_at_returns.reporting_period
    left join as_published
        on as_at_returns.authority = as_published.authority
        and as_at_returns.ref = as_published.ref
        and as_at_returns.reporting_period = as_published.reporting_period
    left join intermediate.int_indicator_values_as_published as year_earlier_published
        on as_published.authority = year_earlier_published.authority
        and as_published.ref = year_earlier_published.ref
        and year_earlier_published.reporting_period = rules.year_earlier_quarter_key(
            values_as_at.financial_year_start, as_published.value_as_at_fiscal_month
        )
    -- A lagged value is compared with the same point a year before the value's
    -- own period, not the row's.
    left join intermediate.int_indicator_values_as_at as year_earlier
        on values_as_at.authority = year_earlier.authority
        and values_as_at.ref = year_earlier.ref
        and values_as_at.period_type = year_earlier.period_type
        and coalesce(values_as_at.value_as_at_fiscal_month, values_as_at.fiscal_month)
            = year_earlier.fiscal_month
        and values_as_at.financial_year_start - 1 = year_earlier.financial_year_start

),

with_published_targets as (

    select
        *,
        case when in_return_for_period then rules.period_target(
            annual_target, profiled_targets, measure_type,
            coalesce(published_fiscal_month, fiscal_month)
        ) end as published_period_target,
        case when in_return_for_period then rules.period_target_basis(
            profiled_targets, measure_type, coalesce(published_fiscal_month, fiscal_month)
        ) end as published_period_target_rule

    from joined

),

with_rules as (

    select
        *,
        rules.trend_with_basis(
            value_as_at, value_year_earlier, same_period_last_year, reported_trend, polarity
        ) as trend_judgement,
        rules.variance_pct(published_value_as_at, published_period_target, polarity)
            as published_variance_pct,
        rules.performance_status(published_value_as_at, published_period_target, polarity)
            as published_performance_status,
        case when in_return_for_period then rules.trend_with_basis(
            published_value_as_at, published_value_year_earlier, same_period_last_year,
            reported_trend, polarity
        ) end as published_trend_judgement

    from with_published_targets

)

select
    authority,  -- The reporting council, as its returns name it.
    ref,  -- The indicator's reference, letters in capitals, e.g. CYP-006.
    period_key,  -- The period: a quarter ('2024-25 Q2') or a month ('2024-09').
    period_type,  -- 'quarter' or 'month'.
    financial_year,  -- The financial year (April to March) the period falls in, e.g. '2024-25'.
    financial_year_start,  -- The calendar year the financial year starts in: 2024 for 2024-25.
    fiscal_month,  -- The month of the financial year the period ends in: 1 is April, 12 is March.
    period_end,  -- The last day of the period.
    indicator,  -- The indicator's title, as the year's latest return gives it (else the next year's, as for a year known only from its previous_outturn).
    priority_number,  -- The strategy priority (1 to 6) the return as at this period files the indicator under (else the year's latest return, else the next year's).
    outcome,  -- The outcome of the strategy the indicator serves, as printed.
    tier,  -- 1 (a strategic, Outcomes Framework indicator) or 2 (a service indicator), where the return says.
    frequency,  -- How often the indicator is reported, as the return says (Quarterly, Quarterly (lagged), Annual ...).
    polarity,  -- Which way is better: 'Higher' or 'Lower', as the return as at this period says (else the year's latest return, else the next year's).
    measure_type,  -- As the return as at this period says (else the year's latest return, else the next year's): 'snapshot' (judged against the annual target as it stands) or 'cumulative' (a year-to-date count, judged against the target pro rata).
    value,  -- The value reported for this period itself (where two returns give it, the later wins); NULL where the cell held no number.
    value_note,  -- The text of the period's cell where it held no number, e.g. 'To be reported in Q3'.
    value_as_at,  -- The latest value of the financial year up to and including this period, by the latest revision of every value: what the restated judgement rests on (published_value_as_at is the published one).
    value_as_at_period_key,  -- The period value_as_at comes from (restated).
    is_lagged,  -- True where value_as_at comes from an earlier period than this one (a lagged indicator).
    in_return_for_period,  -- True where a return as at this period reports the indicator: the rows the summaries count, published and restated.
    annual_target,  -- The annual target set by the return as at this period (else the year's latest return); NULL where none was set.
    period_target,  -- The target value_as_at is judged against (restated): the profiled target of its quarter, else for a cumulative measure the annual target pro rata, else the annual target.
    case when period_target is not null then period_target_rule end as period_target_basis,  -- Which target period_target is: 'profiled' (the return's target for that quarter), 'pro rata' (the annual target pro rata to the months elapsed) or 'annual'; NULL without a target.
    variance_pct,  -- Variance from target in per cent (restated), positive is better: (value - target) / |target| x 100, the reverse where lower is better.
    performance_status,  -- 'met' (variance 0 or more), 'within' (within 5% of target) or 'not met', on value_as_at (restated): what mart_priority_performance_restated counts; NULL without a value or a target.
    trend_judgement.trend as trend,  -- 'improved', 'worse' or 'same': value_as_at against the same period a year earlier, both at their latest revision (restated): what mart_priority_trend_restated counts.
    trend_judgement.basis as trend_basis,  -- What the trend rests on: 'warehouse history', 'same period last year' (the return's own column) or 'reported' (the arrow the service printed).
    trend_judgement.basis in ('warehouse history', 'same period last year') as trend_is_computed,  -- True where the trend was computed from figures; false where it is the trend the service printed.
    value_year_earlier,  -- The value as at the same point a year earlier, from the warehouse, at its latest revision (restated).
    published_value_as_at,  -- Published: the value the period was judged on in its own returns (the latest of its year up to it that they give); NULL on rows no return is as at. A corrected resubmission of the period's own return changes it; later returns never do.
    published_value_as_at_period_key,  -- Published: the period published_value_as_at comes from.
    published_period_target,  -- Published: the target published_value_as_at is judged against, by the same rule as period_target.
    case when published_period_target is not null then published_period_target_rule end as published_period_target_basis,  -- Published: which target published_period_target is, as period_target_basis.
    published_variance_pct,  -- Published: variance from target in per cent, positive is better, as the period's own returns give it.
    published_performance_status,  -- Published: 'met', 'within' or 'not met', as the period's own returns give it: what marts.mart_priority_performance counts.
    published_trend_judgement.trend as published_trend,  -- Published: 'improved', 'worse' or 'same', published_value_as_at against the year-earlier period as it was published (else its figure as the returns up to this period gave it): what marts.mart_priority_trend counts.
    published_trend_judgement.basis as published_trend_basis,  -- What published_trend rests on, as trend_basis.
    published_value_year_earlier,  -- Published: the year-earlier value published_trend compares with.
    same_period_last_year,  -- The return's own figure for the same point last year.
    direction_of_travel,  -- 'improving', 'worsening' or 'same': the variance now against the previous period's (a lagged period repeats its value's).
    comparative_quartile,  -- Where the authority stands among its comparator family: 1 (the best 25%) to 4 (the worst 25%).
    comparative_quartile_text,  -- The comparative performance cell as printed.
    comparator_period,  -- The year the comparison is for, e.g. '2022/23'.
    england_average,  -- The England average for the comparator period.
    comparator_average,  -- The comparator family's average for the comparator period.
    reported_variance,  -- The variance the service printed, in per cent.
    reported_variance_text,  -- The printed variance cell as typed.
    reported_trend,  -- The trend the service printed, read from its arrow or word.
    reported_trend_text,  -- The printed trend cell as typed.
    commentary,  -- The service's commentary on the indicator in that return.
    source_reporting_period,  -- The reporting period of the return the value came from.
    source_cell,  -- The cell of that return the value came from (q2, sep, outturn, previous_outturn ...).
    source_file_path,  -- The return file the value came from, relative to the returns folder.
    source_file_hash,  -- The SHA-256 of that version of the file.
    source_sheet,  -- The workbook sheet, for an .xlsx return.
    source_row_number,  -- The row of the file the value came from, as the spreadsheet numbers it.
    source_loaded_at,  -- When that version of the file was first loaded (UTC).
    return_file_path,  -- The return as at this period that gave the indicator's targets and printed figures (reported_variance, reported_trend, comparative_quartile); NULL on rows no return is as at.
    return_row_number  -- The row of that return.

from with_rules
