-- How each current return file was read, where the reader had something to
-- say: the sheet it read and why, where a workbook left a choice of sheet
-- (a hidden sheet passed over, or none named Return), and the cells holding
-- a formula saved with no value, kept as the formula's text.
-- grain: file_path

with current_files as (

    select file_path, file_hash from staging.stg_current_return_files

)

select
    files.file_path,
    files.file_hash,
    files.sheet,
    files.sheet_choice,
    coalesce(files.formula_cells, []) as formula_cells

from raw.return_files as files
inner join current_files using (file_path, file_hash)
where files.sheet_choice is not null or len(files.formula_cells) > 0
