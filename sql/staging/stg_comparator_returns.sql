-- One row per member authority's value in the current comparator returns: for
-- an indicator, a comparator group and the period the values are for.
-- grain: authority, reporting_period, ref, comparator_group, comparator_period, member_authority
--
-- authority is the council whose return it is; it is one of the members.
-- A member given in two current returns of the same authority and period is
-- taken from the later one (file_order of stg_current_return_files).

with current_files as (

    select file_path, file_hash, file_loaded_at, file_order
    from staging.stg_current_return_files

),

returns as (

    select returns.*, current_files.file_loaded_at, current_files.file_order
    from validated.comparator_returns as returns
    inner join current_files using (file_path, file_hash)

)

select
    authority,
    rules.quarter_period_key(financial_year_start, reporting_quarter) as reporting_period,
    financial_year_start,
    reporting_quarter,
    ref,
    indicator,
    polarity,
    comparator_group,
    comparator_period,
    member_authority,
    value,
    value_note,
    quartile_method,

    file_path,
    file_hash,
    sheet,
    row_number,
    file_loaded_at as loaded_at

from returns
qualify row_number() over (
    partition by
        authority, financial_year_start, reporting_quarter,
        ref, comparator_group, comparator_period, member_authority
    order by file_order desc
) = 1
