-- Every value cell of every return row that holds something (a number or a
-- note), with the period it reports.
-- grain: file_path, row_number, period_key, cell
-- incremental by: file_path
--
-- q1..q4 are quarters; outturn stands for Q4 where q4 is blank; a month column
-- is that month, and also stands for its quarter where the quarter column is
-- blank; previous_outturn is last financial year's Q4. cell_precedence orders
-- the cells of one return that report the same period (1 wins).
--
-- cell_standing says, once for every model that chooses among cells for a
-- period, which cell stands: the greater. A number beats a note, so a return
-- that leaves a period blank or writes 'N/A' over it does not erase a value
-- already reported; then the later return (return_order), as a revised figure
-- should; then the cell of higher precedence within one return.

with cell_contents as (

    -- A struct is never null, so unpivoting keeps a cell that has only a note.
    select
        authority, ref, financial_year_start, reporting_period, return_order,
        file_path, file_hash, sheet, row_number, loaded_at,
        {'value': previous_outturn, 'note': previous_outturn_note} as previous_outturn,
        {'value': q1, 'note': q1_note} as q1,
        {'value': q2, 'note': q2_note} as q2,
        {'value': q3, 'note': q3_note} as q3,
        {'value': q4, 'note': q4_note} as q4,
        {'value': outturn, 'note': outturn_note} as outturn,
        {'value': apr, 'note': apr_note} as apr,
        {'value': may, 'note': may_note} as may,
        {'value': jun, 'note': jun_note} as jun,
        {'value': jul, 'note': jul_note} as jul,
        {'value': aug, 'note': aug_note} as aug,
        {'value': sep, 'note': sep_note} as sep,
        {'value': oct, 'note': oct_note} as oct,
        {'value': nov, 'note': nov_note} as nov,
        {'value': dec, 'note': dec_note} as dec,
        {'value': jan, 'note': jan_note} as jan,
        {'value': feb, 'note': feb_note} as feb,
        {'value': mar, 'note': mar_note} as mar
    from staging.stg_indicator_returns

),

cells as (

    select
        * exclude (content),
        content.value as value,
        content.note as note
    from (
        unpivot cell_contents
        on
            previous_outturn, q1, q2, q3, q4, outturn,
            apr, may, jun, jul, aug, sep, oct, nov, dec, jan, feb, mar
        into name cell value content
    )

),

cell_periods (cell, period_type, year_offset, fiscal_month, cell_precedence) as (

    values
        ('previous_outturn', 'quarter', -1, 12, 1),
        ('q1', 'quarter', 0, 3, 1),
        ('q2', 'quarter', 0, 6, 1),
        ('q3', 'quarter', 0, 9, 1),
        ('q4', 'quarter', 0, 12, 1),
        ('jun', 'quarter', 0, 3, 2),
        ('sep', 'quarter', 0, 6, 2),
        ('dec', 'quarter', 0, 9, 2),
        ('mar', 'quarter', 0, 12, 2),
        ('outturn', 'quarter', 0, 12, 3),
        ('apr', 'month', 0, 1, 1),
        ('may', 'month', 0, 2, 1),
        ('jun', 'month', 0, 3, 1),
        ('jul', 'month', 0, 4, 1),
        ('aug', 'month', 0, 5, 1),
        ('sep', 'month', 0, 6, 1),
        ('oct', 'month', 0, 7, 1),
        ('nov', 'month', 0, 8, 1),
        ('dec', 'month', 0, 9, 1),
        ('jan', 'month', 0, 10, 1),
        ('feb', 'month', 0, 11, 1),
        ('mar', 'month', 0, 12, 1)

),

periods_of_cells as (

    -- Each cell's period, keyed and dated once per financial year and cell rather
    -- than once per cell: formatting a key and a date for each of millions of
    -- cells took most of this model's time.
    select
        years.financial_year_start,
        cell_periods.cell,
        rules.period_key(
            cell_periods.period_type,
            years.financial_year_start + cell_periods.year_offset,
            cell_periods.fiscal_month
        ) as period_key,
        cell_periods.period_type,
        years.financial_year_start + cell_periods.year_offset as period_financial_year_start,
        cell_periods.fiscal_month,
        rules.fiscal_month_end(
            years.financial_year_start + cell_periods.year_offset, cell_periods.fiscal_month
        ) as period_end,
        cell_periods.cell_precedence

    from (select distinct financial_year_start from staging.stg_indicator_returns) as years
    cross join cell_periods

)

select
    cells.authority,
    cells.ref,
    periods_of_cells.period_key,
    periods_of_cells.period_type,
    periods_of_cells.period_financial_year_start as financial_year_start,
    periods_of_cells.fiscal_month,
    periods_of_cells.period_end,
    cells.value,
    cells.note,
    cells.cell,
    periods_of_cells.cell_precedence,
    {
        'has_value': cells.value is not null,
        'return_order': cells.return_order,
        'cell_order': -periods_of_cells.cell_precedence
    } as cell_standing,
    cells.reporting_period as source_reporting_period,
    cells.return_order as source_return_order,
    cells.file_path,
    cells.file_hash,
    cells.sheet,
    cells.row_number,
    cells.loaded_at

from cells
inner join periods_of_cells using (financial_year_start, cell)
where cells.value is not null or cells.note is not null
