-- Every value, target or status that changed between two recorded states of
-- an indicator's period: which indicator, which figure, old and new, and the
-- returns (file, version, row) each came from. A corrected return shows here
-- figure by figure; nothing is ever deleted from the history it reads.
-- grain: authority, ref, period_key, recorded_at, figure

with states as (

    select
        *,
        lag(value) over history as old_value,
        lag(annual_target) over history as old_annual_target,
        lag(period_target) over history as old_period_target,
        lag(performance_status) over history as old_performance_status,
        lag(source_file_path) over history as old_source_file_path,
        lag(source_file_hash) over history as old_source_file_hash,
        lag(source_row_number) over history as old_source_row_number,
        lag(recorded_at) over history as old_recorded_at

    from audit.observation_history
    window history as (partition by authority, ref, period_key order by recorded_at)

),

figures as (

    unpivot (
        select
            authority, ref, period_key, run_id, recorded_at, old_recorded_at,
            old_source_file_path, old_source_file_hash, old_source_row_number,
            source_file_path, source_file_hash, source_row_number,
            {'old': cast(old_value as varchar), 'new': cast(value as varchar)} as value,
            {'old': cast(old_annual_target as varchar), 'new': cast(annual_target as varchar)}
                as annual_target,
            {'old': cast(old_period_target as varchar), 'new': cast(period_target as varchar)}
                as period_target,
            {'old': old_performance_status, 'new': performance_status} as performance_status
        from states
        where old_recorded_at is not null
    )
    on value, annual_target, period_target, performance_status
    into name figure value change

)

select
    authority,
    ref,
    period_key,
    figure,
    change.old as old_value,
    change.new as new_value,
    old_source_file_path,
    old_source_file_hash,
    old_source_row_number,
    source_file_path as new_source_file_path,
    source_file_hash as new_source_file_hash,
    source_row_number as new_source_row_number,
    old_recorded_at,
    recorded_at,
    run_id

from figures
where change.old is distinct from change.new
