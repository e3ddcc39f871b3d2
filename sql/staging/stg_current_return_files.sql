-- The current returns: every file the returns folder has held, in the last
-- version of it seen that could be read, with when that version was loaded. Not
-- the folder as it stands: see below. Every staging model of a kind of return
-- reads its rows through this.
-- grain: file_path
--
-- Raw keeps every version of every file ever loaded; a file changed back to
-- an earlier version is that version again. A file no longer in the folder
-- keeps its last version: the folder may hold only this quarter's returns, and
-- earlier quarters' history stays (a return is corrected by replacing it).
-- A file whose newest version could not be read at all (quarantined whole)
-- keeps its last readable version, so its figures stay in the marts;
-- newest_version_rejected_because says why the newer one was refused, and
-- check_unreadable_newest_version asks for the file again.
--
-- Which of two current returns wins is decided here, once: file_order ranks
-- the files, the later loaded after the earlier, then by file path, so that the
-- order is total and every staging model breaks ties the same way (the later,
-- the higher file_order, wins).

with sightings as (

    select
        file_path,
        file_hash,
        scanned_at,
        row_number() over (partition by file_path order by scanned_at desc) as sighting_recency
    from raw.folder_scans

),

readable_sightings as (

    select sightings.*, files.return_kind, files.loaded_at
    from sightings
    inner join raw.return_files as files using (file_path, file_hash)
    qualify row_number() over (partition by file_path order by scanned_at desc) = 1

),

newest_sightings as (

    select file_path, file_hash as newest_file_hash, scanned_at as newest_scanned_at
    from sightings
    where sighting_recency = 1

)

select
    readable_sightings.file_path,
    readable_sightings.file_hash,
    readable_sightings.return_kind,
    readable_sightings.loaded_at as file_loaded_at,
    row_number() over (
        order by readable_sightings.loaded_at, readable_sightings.file_path
    ) as file_order,
    case when newest_sightings.newest_file_hash <> readable_sightings.file_hash
        then rejected.reason end as newest_version_rejected_because,
    case when newest_sightings.newest_file_hash <> readable_sightings.file_hash
        then newest_sightings.newest_scanned_at end as newest_version_seen_at

from readable_sightings
inner join newest_sightings using (file_path)
left join quarantine.rejected_files as rejected
    on newest_sightings.file_path = rejected.file_path
    and newest_sightings.newest_file_hash = rejected.file_hash
