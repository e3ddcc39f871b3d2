-- A milestone of the authority's previous milestone return that is missing
-- from its next one: achieved, withdrawn or forgotten, the return should say.

with milestones as (

    select * from marts.fct_milestone_progress

),

next_returns as (

    select distinct authority, reporting_period, previous_reporting_period
    from milestones
    where previous_reporting_period is not null

)

select
    previous.authority,
    next_returns.reporting_period,
    null::smallint as priority_number,
    previous.milestone_ref as ref,
    null as period_key,
    'milestone_dropped' as check_name,
    'WARN' as severity,
    format(
        'Milestone {} ({}) was in the {} return but is missing from the {} return.',
        previous.milestone_ref, previous.objective_ref, previous.reporting_period,
        next_returns.reporting_period
    ) as message,
    'not in the return' as observed,
    format('{}, as in {}', previous.milestone_ref, previous.reporting_period) as expected,
    previous.source_file_path,
    previous.source_row_number

from milestones as previous
inner join next_returns
    on previous.authority = next_returns.authority
    and previous.reporting_period = next_returns.previous_reporting_period
anti join milestones as now
    on previous.authority = now.authority
    and next_returns.reporting_period = now.reporting_period
    and previous.milestone_ref = now.milestone_ref
