-- A workbook whose sheet to read was not obvious: a hidden sheet named Return
-- passed over for a visible one (a hidden sheet is taken to be out of date), or
-- several visible sheets and none named Return. The reader says which sheet it
-- read and why (staging.stg_return_readings); a person should check that sheet
-- holds the return's figures.
-- grain: authority, reporting_period, check_name

with chosen_sheets as (

    select file_path, file_hash, sheet, sheet_choice
    from staging.stg_return_readings
    where sheet_choice is not null

),

returns as (

    select distinct authority, reporting_period, file_path, file_hash
    from staging.stg_indicator_returns
    union
    select distinct authority, reporting_period, file_path, file_hash
    from staging.stg_milestone_returns

),

by_return as (

    select
        returns.authority,
        returns.reporting_period,
        string_agg(
            format('{}: {}', chosen_sheets.file_path, chosen_sheets.sheet_choice), '; '
            order by chosen_sheets.file_path
        ) as choices,
        string_agg(chosen_sheets.sheet, ', ' order by chosen_sheets.file_path) as sheets,
        min(chosen_sheets.file_path) as file_path

    from chosen_sheets
    inner join returns using (file_path, file_hash)
    group by returns.authority, returns.reporting_period

)

select
    authority,
    reporting_period,
    null as priority_number,
    null as ref,
    null as period_key,
    'sheet_chosen' as check_name,
    'WARN' as severity,
    format(
        'The workbook left a choice of sheet ({}): check that sheet holds this return''s '
        || 'figures, and delete the other sheets or name the return''s sheet Return.',
        choices
    ) as message,
    sheets as observed,
    'one visible sheet named Return' as expected,
    file_path as source_file_path,
    null as source_row_number

from by_return
