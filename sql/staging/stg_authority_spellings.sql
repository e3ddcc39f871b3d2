-- Each spelling of an authority's name typed in the current returns, beside
-- the name the gate read it as (validated.authority_names: the case, spacing
-- and punctuation of a name make no new authority). Rows the gate rejected
-- are not here: their reason is in quarantine.rejected_rows.
-- grain: file_path, typed_authority

with current_files as (

    select file_path, file_hash from staging.stg_current_return_files

),

accepted_rows as (

    select file_path, file_hash, row_number, authority from validated.indicator_returns
    union all
    select file_path, file_hash, row_number, authority from validated.milestone_returns

)

select
    accepted_rows.file_path,
    accepted_rows.file_hash,
    trim(raw_rows.authority) as typed_authority,
    accepted_rows.authority,
    min(accepted_rows.row_number) as first_row_number

from accepted_rows
inner join current_files using (file_path, file_hash)
inner join raw.returns as raw_rows using (file_path, file_hash, row_number)
group by accepted_rows.file_path, accepted_rows.file_hash, typed_authority, accepted_rows.authority
