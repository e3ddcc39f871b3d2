-- A workbook cell holding a formula whose value was never saved (a workbook
-- written by a program and never opened in Excel). The reader keeps the
-- formula's text as the cell (staging.stg_return_readings), so a value cell
-- holds it as its note and counts as no value; a formula in ref or a target
-- rejects its row at the gate instead. One finding per indicator, naming each
-- such cell.
-- grain: authority, reporting_period, priority_number, ref, check_name

with formula_cells as (

    -- A recursive unnest is named by the struct's own fields, which an alias would replace.
    select file_path, file_hash, unnest(formula_cells, recursive := true)  -- noqa: AL03
    from staging.stg_return_readings

),

located as (

    select
        indicator_rows.authority,
        indicator_rows.reporting_period,
        indicator_rows.priority_number,
        indicator_rows.ref,
        formula_cells.file_path,
        formula_cells.row_number,
        format(
            '{} (cell {}: {})', formula_cells.column_name, formula_cells.cell,
            formula_cells.formula
        ) as described

    from formula_cells
    inner join staging.stg_indicator_returns as indicator_rows
        using (file_path, file_hash, row_number)

),

by_indicator as (

    select
        authority,
        reporting_period,
        priority_number,
        ref,
        string_agg(described, '; ' order by file_path, row_number, described) as cells,
        min(file_path) as file_path,
        min_by(row_number, (file_path, row_number)) as row_number

    from located
    group by authority, reporting_period, priority_number, ref

)

select
    authority,
    reporting_period,
    priority_number,
    ref,
    null as period_key,
    'formula_without_value' as check_name,
    'WARN' as severity,
    format(
        '{}''s {} holds a formula with no saved value, so it counts as no value: open '
        || 'the workbook in Excel and save it, so that the values are saved, and send it again.',
        ref, cells
    ) as message,
    cells as observed,
    'a value, or a formula saved with its value' as expected,
    file_path as source_file_path,
    row_number as source_row_number

from by_indicator
