-- One row per milestone of the current milestone returns: an authority's
-- service-plan milestones as at a reporting period, with their progress.
-- grain: authority, reporting_period, milestone_ref
--
-- A milestone in two current returns of the same authority and period is taken
-- from the later one (file_order of stg_current_return_files), as for indicators.

with current_files as (

    select file_path, file_hash, file_loaded_at, file_order
    from staging.stg_current_return_files

),

returns as (

    select returns.*, current_files.file_loaded_at, current_files.file_order
    from validated.milestone_returns as returns
    inner join current_files using (file_path, file_hash)

)

select
    authority,
    rules.quarter_period_key(financial_year_start, reporting_quarter) as reporting_period,
    financial_year_start,
    reporting_quarter,
    directorate,
    department,
    objective_ref,
    objective,
    corporate_priority,
    milestone_ref,
    milestone,
    progress,
    progress_text,
    commentary,

    file_path,
    file_hash,
    sheet,
    row_number,
    file_loaded_at as loaded_at

from returns
qualify row_number() over (
    partition by authority, financial_year_start, reporting_quarter, milestone_ref
    order by file_order desc
) = 1
