-- Progress against the service plan, as Halton's monitoring report summarises
-- it: per authority and reporting period, a row per department and objective, a
-- row per department, and a total row. Per cents are of the milestones with
-- progress recorded, 0-100, unrounded; NULL where none has any. Milestones with
-- no progress recorded are counted apart, as gaps.
-- partitioned by: reporting_period
-- grain: authority, reporting_period, summary_level, department, objective_ref
--
-- summary_level says which kind of row it is ('objective', 'department',
-- 'total'), since a return may leave department blank.

with milestones as (

    select authority, reporting_period, department, objective_ref, objective, progress
    from marts.fct_milestone_progress

),

counted as (

    select
        authority,
        reporting_period,
        case
            when grouping(objective_ref) = 0 then 'objective'
            when grouping(department) = 0 then 'department'
            else 'total'
        end as summary_level,
        department,
        objective_ref,
        case when grouping(objective_ref) = 0 then any_value(objective) end as objective,
        count(*) as n_milestones,
        count(progress) as n_with_progress,
        count(*) filter (where progress = 'on course') as n_on_course,
        count(*) filter (where progress = 'uncertain') as n_uncertain,
        count(*) filter (where progress = 'not achieved') as n_not_achieved,
        count(*) filter (where progress is null) as n_no_progress

    from milestones
    group by grouping sets (
        (authority, reporting_period, department, objective_ref),
        (authority, reporting_period, department),
        (authority, reporting_period)
    )

)

select
    authority,  -- The council whose milestone returns they are.
    reporting_period,  -- The quarter the returns are as at, e.g. '2024-25 Q2'.
    summary_level,  -- 'objective' (a department's objective), 'department' (all its objectives) or 'total'.
    department,  -- The department; NULL on the total row, and where the return gave none.
    objective_ref,  -- The objective, e.g. 'CYP P1'; NULL on department and total rows.
    objective,  -- The objective's text; NULL on department and total rows.
    n_milestones,  -- Milestones in the returns.
    n_with_progress,  -- Milestones with progress recorded.
    n_on_course,  -- Milestones on course to be achieved.
    rules.per_cent(n_on_course, n_with_progress) as pct_on_course,  -- Per cent (0-100, unrounded) of the milestones with progress recorded that are on course.
    n_uncertain,  -- Milestones whose achievement is uncertain or too early to say.
    rules.per_cent(n_uncertain, n_with_progress) as pct_uncertain,  -- Per cent (0-100, unrounded) of the milestones with progress recorded that are uncertain.
    n_not_achieved,  -- Milestones that will not be achieved without intervention.
    rules.per_cent(n_not_achieved, n_with_progress) as pct_not_achieved,  -- Per cent (0-100, unrounded) of the milestones with progress recorded that will not be achieved.
    n_no_progress  -- Milestones with no progress recorded: gaps in the return.

from counted
