-- Milestone progress: one row per authority, service-plan milestone and
-- reporting period, as the milestone returns give it, beside the progress the
-- same milestone had in the authority's previous milestone return.
-- grain: authority, reporting_period, milestone_ref
--
-- progress is on course, uncertain or not achieved; NULL where the return gave
-- none (progress_text keeps what was typed). The previous return is the
-- authority's latest milestone return before this one, whichever quarter it was.

with milestones as (

    select * from staging.stg_milestone_returns

),

return_periods as (

    select distinct authority, reporting_period, financial_year_start, reporting_quarter
    from milestones

),

previous_returns as (

    select
        authority,
        reporting_period,
        lag(reporting_period) over (
            partition by authority order by financial_year_start, reporting_quarter
        ) as previous_reporting_period
    from return_periods

)

select
    milestones.authority,  -- The council whose milestone return it is, e.g. Halton.
    milestones.reporting_period,  -- The quarter the return is as at, e.g. '2024-25 Q2'.
    milestones.financial_year_start,  -- The calendar year the financial year starts in.
    milestones.reporting_quarter,  -- The quarter of the financial year, 1 to 4.
    milestones.directorate,  -- The directorate, as the return names it; NULL if not given.
    milestones.department,  -- The department the milestone is filed under; NULL if not given.
    milestones.objective_ref,  -- The service objective the milestone serves, e.g. 'CYP P1'.
    milestones.objective,  -- The objective's text, as printed.
    milestones.corporate_priority,  -- The corporate priorities the objective serves, as printed.
    milestones.milestone_ref,  -- The milestone's reference, e.g. 'P1.1'.
    milestones.milestone,  -- The milestone's text, with its source in brackets where given.
    milestones.progress,  -- 'on course', 'uncertain' or 'not achieved'; NULL where the return gave no progress.
    milestones.progress_text,  -- The progress cell as typed (a symbol or words).
    milestones.commentary,  -- The supporting commentary, whole.
    previous_returns.previous_reporting_period,  -- The authority's previous milestone return's period; NULL for its first.
    previous.progress as previous_progress,  -- The milestone's progress in that previous return; NULL if it had none or was not in it.
    milestones.file_path as source_file_path,  -- The return file the row came from.
    milestones.file_hash as source_file_hash,  -- The SHA-256 of that file's version.
    milestones.row_number as source_row_number  -- The row of the file.

from milestones
inner join previous_returns using (authority, reporting_period)
left join milestones as previous
    on milestones.authority = previous.authority
    and previous_returns.previous_reporting_period = previous.reporting_period
    and milestones.milestone_ref = previous.milestone_ref
