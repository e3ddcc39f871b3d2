-- A return file whose newest version could not be read at all, so the
-- warehouse still holds its last readable version (staging.stg_current_return_files):
-- the figures published are not the ones the service last sent. The service
-- should send the file again, readable. ERROR: the marts are out of date for
-- that return until it comes.

with stale_files as (

    select * from staging.stg_current_return_files
    where newest_version_seen_at is not null

),

periods_of_files as (

    select distinct authority, reporting_period, file_path from staging.stg_indicator_returns
    union
    select distinct authority, reporting_period, file_path from staging.stg_milestone_returns
    union
    select distinct authority, reporting_period, file_path from staging.stg_comparator_returns

)

select
    periods_of_files.authority,
    periods_of_files.reporting_period,
    null as priority_number,
    null as ref,
    null as period_key,
    'unreadable_newest_version' as check_name,
    'ERROR' as severity,
    format(
        'The newest version of {} (seen {}) cannot be read: {}. The tables still hold the '
        'version loaded {}; send the file again, readable.',
        stale_files.file_path, strftime(stale_files.newest_version_seen_at, '%Y-%m-%d %H:%M'),
        coalesce(stale_files.newest_version_rejected_because, 'it was quarantined'),
        strftime(stale_files.file_loaded_at, '%Y-%m-%d %H:%M')
    ) as message,
    coalesce(stale_files.newest_version_rejected_because, 'unreadable') as observed,
    'a readable return' as expected,
    stale_files.file_path as source_file_path,
    null as source_row_number

from stale_files
inner join periods_of_files using (file_path)
