-- The value each indicator of each return stood at as at the return's
-- reporting period, as that period's own returns give it: what the period
-- was judged on when it was published, whatever later returns say.
-- grain: authority, reporting_period, ref
-- incremental by: reporting_period
--
-- Only the cells of the current returns as at the period count (a corrected
-- resubmission of one of them is a correction, and counts); among them the
-- cell that stands for each period is chosen as for the latest revision
-- (cell_standing of int_indicator_cells). The value as at the period is the
-- latest value of its financial year up to its end, months before the quarter
-- that ends with them, as int_indicator_values_as_at takes it.
-- value_year_earlier_known is the figure for the same quarter a year earlier
-- as the returns up to and including the period gave it (a previous_outturn,
-- or the year-earlier returns' own cells), for a trend where the year-earlier
-- period has no return of its own to have been published in.

with return_indicators as (

    select authority, reporting_period, ref, financial_year_start, reporting_period_end
    from intermediate.int_return_indicators

),

own_cells as (

    select
        cells.authority,
        cells.ref,
        cells.source_reporting_period,
        cells.period_key,
        cells.period_type,
        cells.period_end,
        cells.fiscal_month,
        cells.financial_year_start,
        cells.value,
        cells.cell_standing,
        return_indicators.financial_year_start as return_financial_year_start
    from intermediate.int_indicator_cells as cells
    inner join return_indicators
        on cells.authority = return_indicators.authority
        and cells.ref = return_indicators.ref
        and cells.source_reporting_period = return_indicators.reporting_period
    where cells.period_end <= return_indicators.reporting_period_end

),

valued_cells as (

    -- The cells with a value in the return's own year, each with its standing among
    -- them: the later period first (a quarter after the month that ends with it),
    -- then, within a period, the cell that stands (cell_standing).
    select
        authority,
        source_reporting_period,
        ref,
        value,
        period_key,
        fiscal_month,
        {
            'period_end': period_end,
            'is_quarter': period_type = 'quarter',
            'cell_standing': cell_standing
        } as standing_in_year

    from own_cells
    where value is not null
        and financial_year_start = return_financial_year_start

),

as_at as (

    -- The standing cell of the latest period with a value, in one aggregate: choosing
    -- each period's standing cell first grouped every cell by four keys and took most
    -- of this model's time. One arg_max takes its three columns together: one each
    -- compared the struct standing three times (3.2-3.4 s against 2.0-2.1 s at the
    -- large benchmark).
    select
        authority,
        source_reporting_period as reporting_period,
        ref,
        arg_max(
            {'value': value, 'period_key': period_key, 'fiscal_month': fiscal_month},
            standing_in_year
        ) as standing_cell

    from valued_cells
    group by authority, source_reporting_period, ref

),

year_earlier_periods as (

    -- Named before the cells are joined, so that the join is on the period. as_at is
    -- read here alone: a CTE read twice is held whole, and a run that builds some
    -- periods could not pass their filter into it.
    select
        as_at.authority,
        as_at.reporting_period,
        as_at.ref,
        as_at.standing_cell.value as value_as_at,
        as_at.standing_cell.period_key as value_as_at_period_key,
        as_at.standing_cell.fiscal_month as value_as_at_fiscal_month,
        case when rules.quarter_of_month(as_at.standing_cell.fiscal_month) is not null
            then rules.year_earlier_quarter_key(
                return_indicators.financial_year_start, as_at.standing_cell.fiscal_month
            )
        end as year_earlier_period_key

    from as_at
    inner join return_indicators using (authority, reporting_period, ref)

)

select
    year_earlier_periods.authority,
    year_earlier_periods.reporting_period,
    year_earlier_periods.ref,
    any_value(year_earlier_periods.value_as_at) as value_as_at,
    any_value(year_earlier_periods.value_as_at_period_key) as value_as_at_period_key,
    any_value(year_earlier_periods.value_as_at_fiscal_month) as value_as_at_fiscal_month,
    arg_max(cells.value, cells.cell_standing) as value_year_earlier_known

from year_earlier_periods
left join intermediate.int_indicator_cells as cells
    on year_earlier_periods.authority = cells.authority
    and year_earlier_periods.ref = cells.ref
    and year_earlier_periods.year_earlier_period_key = cells.period_key
    and cells.period_type = 'quarter'
    and cells.value is not null
    and year_earlier_periods.reporting_period >= cells.source_reporting_period
group by
    year_earlier_periods.authority,
    year_earlier_periods.reporting_period,
    year_earlier_periods.ref
