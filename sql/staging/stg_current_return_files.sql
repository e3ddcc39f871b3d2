-- The returns folder as it stands: every file it has held, in the version it
-- held when last seen, with when that version was loaded. Every staging model of
-- a kind of return reads its rows through this.
-- grain: file_path
--
-- Raw keeps every version of every file ever loaded; a file changed back to
-- an earlier version is that version again. A file no longer in the folder
-- keeps its last version: the folder may hold only this quarter's returns, and
-- earlier quarters' history stays (a return is corrected by replacing it).

with last_sightings as (

    select
        file_path,
        file_hash,
        row_number() over (partition by file_path order by scanned_at desc) as sighting_recency
    from raw.folder_scans

)

select
    files.file_path,
    files.file_hash,
    files.return_kind,
    files.loaded_at as file_loaded_at

from raw.return_files as files
inner join last_sightings using (file_path, file_hash)
where last_sightings.sighting_recency = 1
