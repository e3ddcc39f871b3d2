-- A milestone that was on course in the authority's previous milestone return
-- and is now not achieved: a slip members should hear about, with the reason.

with milestones as (

    select * from marts.fct_milestone_progress

)

select
    authority,
    reporting_period,
    null::smallint as priority_number,
    milestone_ref as ref,
    null as period_key,
    'milestone_slipped' as check_name,
    'WARN' as severity,
    format(
        'Milestone {} ({}) was on course in the {} return and is now not achieved: '
        'the commentary should say why and what is being done.',
        milestone_ref, objective_ref, previous_reporting_period
    ) as message,
    'not achieved' as observed,
    format('on course, as in {}', previous_reporting_period) as expected,
    source_file_path,
    source_row_number

from milestones
where previous_progress = 'on course' and progress = 'not achieved'
