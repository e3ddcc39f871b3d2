-- The fact's figures that are new or changed since the history last recorded
-- them: one row per authority, indicator and period whose value, targets or
-- status differ from its latest recorded state, or that appeared, or that
-- left the fact. Appended by assets/audit_trail.py, with the run's id and time.
-- grain: authority, ref, period_key, recorded_at

with now_judged as (

    select
        authority, ref, period_key, value, annual_target, period_target, performance_status,
        source_reporting_period, source_file_path, source_file_hash, source_row_number
    from marts.fct_indicator_observations

),

last_recorded as (

    select *
    from audit.observation_history
    qualify row_number() over (
        partition by authority, ref, period_key order by recorded_at desc
    ) = 1

)

select
    $run_id as run_id,
    $recorded_at as recorded_at,
    coalesce(now_judged.authority, last_recorded.authority) as authority,
    coalesce(now_judged.ref, last_recorded.ref) as ref,
    coalesce(now_judged.period_key, last_recorded.period_key) as period_key,
    now_judged.value,
    now_judged.annual_target,
    now_judged.period_target,
    now_judged.performance_status,
    now_judged.source_reporting_period,
    now_judged.source_file_path,
    now_judged.source_file_hash,
    now_judged.source_row_number,
    now_judged.authority is null as left_the_fact

from now_judged
full join last_recorded using (authority, ref, period_key)
where last_recorded.authority is null
    or (now_judged.authority is null and not last_recorded.left_the_fact)
    or now_judged.value is distinct from last_recorded.value
    or now_judged.annual_target is distinct from last_recorded.annual_target
    or now_judged.period_target is distinct from last_recorded.period_target
    or now_judged.performance_status is distinct from last_recorded.performance_status
