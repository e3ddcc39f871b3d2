"""Step 1, raw: every return file in the returns folder, kept losslessly as text.

Each file version is loaded once: a file already loaded with the same content
(path and SHA-256) is skipped, so running twice duplicates nothing, and a
changed file is loaded as a new version beside the old one. Nothing is ever
deleted: `raw.folder_scans` records what the folder held at each run, from which
staging.stg_current_return_files takes the current returns: every file the folder
has held, in its last readable version seen. A file that cannot be read at
all goes to `quarantine.rejected_files` with its reason; the other files still
load. A file whose bytes cannot be read (it vanished, permission is denied), and a
link that leads out of the folder, are quarantined by name with file_hash
'not read'. Each quarantined file records the reader's version: a file the reader
quarantined is read again once the reader changes, and its verdict replaced.
The plain CSV returns (return_files.plain_csv) are parsed many files at once, as
read_return would read them (readers/plain_csvs.py); every other file, and any plain
one with a line that is not, is read by read_return.
"""

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    DagsterLogManager,
    MaterializeResult,
    multi_asset,
)

from pipelines.partitions import quarters_in_range
from pipelines.quarters import Quarter
from pipelines.readers.plain_csvs import parse_plain_csvs
from pipelines.readers.return_files import (
    NOT_READ,
    READER_VERSION,
    PlainCsv,
    ReturnFile,
    UnreadableReturnError,
    file_hash,
    plain_csv,
    read_return,
    read_return_bytes,
    scan_returns_folder,
)
from pipelines.resources import ReturnsFolder, Warehouse, fetch_row
from schemas.return_contract import RAW_COLUMNS

RAW_RETURNS = AssetKey(["raw", "returns"])
RAW_RETURN_FILES = AssetKey(["raw", "return_files"])
RAW_FOLDER_SCANS = AssetKey(["raw", "folder_scans"])
RAW_REQUESTED_QUARTERS = AssetKey(["raw", "requested_quarters"])
REJECTED_FILES = AssetKey(["quarantine", "rejected_files"])

# About 40 MB of text cells: large enough for DuckDB to insert quickly.
ROWS_PER_INSERT = 100_000
# Plain CSV returns parsed at once: about 100 MB of text, a parse of many files.
ROWS_PER_PARSE = 500_000
_RAW_COLUMNS_DDL = ",\n    ".join(f"{column} varchar" for column in RAW_COLUMNS)
_ADDED_COLUMNS_DDL = "\n".join(
    f"alter table raw.returns add column if not exists {column} varchar;" for column in RAW_COLUMNS
)

RAW_TABLES_DDL = f"""
create schema if not exists raw;
create schema if not exists quarantine;
create table if not exists raw.return_files (
    file_path varchar not null,
    file_hash varchar not null,
    file_format varchar not null,
    sheet varchar,
    encoding varchar,
    header_row integer not null,
    header varchar[] not null,
    rows_read integer not null,
    loaded_at timestamp not null,
    return_kind varchar not null default 'indicator',
    sheet_choice varchar,
    formula_cells struct(
        row_number integer, cell varchar, column_name varchar, formula varchar
    )[],
    primary key (file_path, file_hash)
);
create table if not exists raw.returns (
    file_path varchar not null,
    file_hash varchar not null,
    sheet varchar,
    row_number integer not null,
    loaded_at timestamp not null,
    return_kind varchar not null default 'indicator',
    {_RAW_COLUMNS_DDL},
    extra_columns json
);
-- No key on (file_hash, file_path, row_number): a file version's rows go in with its row of
-- raw.return_files, in one transaction, and that row's key refuses the version a second
-- time; within a version the readers number each row once (a workbook that numbers two
-- rows alike is refused as damaged). An index of every raw row as well made loading the
-- large benchmark's 1.44 million rows a fifth slower (5.2-5.8 s against 4.2-4.8 s).
-- A warehouse built before milestone and comparator returns were read holds
-- indicator returns only; it gains their columns.
alter table raw.returns add column if not exists return_kind varchar default 'indicator';
alter table raw.return_files add column if not exists return_kind varchar default 'indicator';
{_ADDED_COLUMNS_DDL}
-- Why a workbook's sheet was read, and its formulas with no saved value, came later.
alter table raw.return_files add column if not exists sheet_choice varchar;
alter table raw.return_files add column if not exists formula_cells struct(
    row_number integer, cell varchar, column_name varchar, formula varchar
)[];
create table if not exists raw.folder_scans (
    scanned_at timestamp not null,
    file_path varchar not null,
    file_hash varchar not null,
    primary key (scanned_at, file_path)
);
create table if not exists raw.requested_quarters (
    run_id varchar not null,
    requested_at timestamp not null,
    financial_year_start integer not null,
    reporting_quarter integer not null
);
create table if not exists quarantine.rejected_files (
    file_path varchar not null,
    file_hash varchar not null,
    reason varchar not null,
    rejected_at timestamp not null,
    reader_version varchar,
    primary key (file_path, file_hash)
);
alter table quarantine.rejected_files add column if not exists reader_version varchar;
"""


@multi_asset(
    name="ingest_returns",
    group_name="raw",
    specs=[
        AssetSpec(
            RAW_RETURNS,
            description="Every row of every return as typed: text cells with their lineage "
            "(file path, sheet, row number, file hash, load time) and the kind of return "
            "(indicator, milestone, comparator). Grain: file version, row.",
        ),
        AssetSpec(
            RAW_RETURN_FILES,
            description="One row per return file version loaded: its hash, format, sheet, "
            "encoding, header row and the number of rows read; why its sheet was read where "
            "the workbook left a choice, and its formula cells that had no saved value.",
        ),
        AssetSpec(
            RAW_FOLDER_SCANS,
            description="What the returns folder held at each run (path and hash of every "
            "file): the current returns are every file it has held, in the last readable "
            "version seen (staging.stg_current_return_files).",
        ),
        AssetSpec(
            RAW_REQUESTED_QUARTERS,
            description="The financial quarters each run was asked to build: returns are "
            "expected for them even when none has arrived.",
        ),
        AssetSpec(
            REJECTED_FILES,
            description="Return files that could not be read at all, with the reason in plain "
            "words (corrupt workbook, no header, a required column missing, undecodable bytes, "
            "a link out of the returns folder) and the version of the reader that refused "
            "them.",
        ),
    ],
)
def ingest_returns(
    context: AssetExecutionContext, warehouse: Warehouse, returns_folder: ReturnsFolder
):
    root = returns_folder.root
    if not root.is_dir():
        raise FileNotFoundError(f"The returns folder {root} does not exist")
    paths, links_out = scan_returns_folder(root)
    quarters = requested_quarters(context)
    with warehouse.connect() as connection:
        loaded = load_returns(
            connection,
            [(path.relative_to(root).as_posix(), path) for path in paths],
            links_out=[link.relative_to(root).as_posix() for link in links_out],
            run_id=context.run.run_id,
            quarters=quarters,
            log=context.log,
        )
    yield MaterializeResult(
        asset_key=RAW_RETURNS,
        metadata={
            "files_found": len(paths),
            "rows_loaded_this_run": loaded.rows_loaded,
            "dagster/row_count": loaded.total_rows,
        },
    )
    yield MaterializeResult(
        asset_key=RAW_RETURN_FILES,
        metadata={
            "files_loaded_this_run": loaded.files_loaded,
            "dagster/row_count": loaded.total_files,
        },
    )
    yield MaterializeResult(
        asset_key=RAW_FOLDER_SCANS, metadata={"files_in_folder": len(paths) + len(links_out)}
    )
    yield MaterializeResult(
        asset_key=RAW_REQUESTED_QUARTERS,
        metadata={"quarters": ", ".join(quarter.partition_key for quarter in quarters)},
    )
    yield MaterializeResult(
        asset_key=REJECTED_FILES,
        metadata={
            "files_rejected_this_run": loaded.files_rejected,
            "dagster/row_count": loaded.total_rejected_files,
        },
    )


@dataclass(frozen=True)
class LoadedReturns:
    """What one load added, and what the raw tables hold after it."""

    rows_loaded: int
    files_loaded: int
    files_rejected: int
    total_rows: int
    total_files: int
    total_rejected_files: int


def load_returns(
    connection: duckdb.DuckDBPyConnection,
    files: list[tuple[str, Path]],
    *,
    links_out: Sequence[str] = (),
    run_id: str,
    quarters: list[Quarter],
    log: logging.Logger | DagsterLogManager,
) -> LoadedReturns:
    """Load each file (its path as recorded, where to read it) into the raw tables, as the
    folder's scan, with the links out of the folder quarantined unread: the run's ingest,
    and `python -m pipelines validate` on a scratch copy."""
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    new_files: list[dict[str, object]] = []
    scan: list[dict[str, object]] = []
    rejected: list[dict[str, object]] = []
    connection.execute(RAW_TABLES_DDL)
    # A file quarantined by another version of the reader is read again.
    already_loaded = set(
        connection.sql(
            "select file_path, file_hash from raw.return_files "
            "union select file_path, file_hash from quarantine.rejected_files "
            "where reader_version is not distinct from ?",
            params=[READER_VERSION],
        ).fetchall()
    )
    for link in links_out:
        _refuse(
            log,
            link,
            NOT_READ,
            "the file is a link to a file outside the returns folder, and links out of "
            "the folder are not followed: copy the return itself into the folder",
            scan,
            rejected,
        )
    # All of a run's new files in one transaction: a failure loads none of them.
    connection.execute("begin transaction")
    try:
        pending: list[pl.DataFrame] = []
        plain: list[tuple[str, str, Path, PlainCsv]] = []
        plain_rows = 0

        def add(rows: pl.DataFrame) -> None:
            nonlocal pending
            pending.append(rows)
            # Rows go to DuckDB in batches, so a folder of every council's returns
            # is never held in memory at once.
            if sum(frame.height for frame in pending) >= ROWS_PER_INSERT:
                _insert_rows(connection, pending, loaded_at)
                pending = []

        def add_return(relative_path: str, digest: str, return_file: ReturnFile) -> None:
            add(
                return_file.rows.with_columns(
                    file_path=pl.lit(relative_path),
                    file_hash=pl.lit(digest),
                    sheet=pl.lit(return_file.sheet, pl.Utf8),
                )
            )
            new_files.append(
                _file_record(relative_path, digest, return_file, return_file.rows.height)
            )

        def parse_plain() -> None:
            nonlocal plain_rows
            parsed = parse_plain_csvs(plain)
            for rows in parsed.rows:
                add(rows)
            new_files.extend(
                _file_record(relative_path, digest, found, found.rows)
                for relative_path, digest, found in parsed.read
            )
            for relative_path, digest, path, found in parsed.less_plain:
                # Already in the folder's scan: a refusal adds it to the rejected only.
                returned = _read(log, relative_path, path, digest, found.content, [], rejected)
                if returned is not None:
                    add_return(relative_path, digest, returned)
            plain.clear()
            plain_rows = 0

        for relative_path, digest, path, found in _new_returns(
            log, files, already_loaded, scan, rejected
        ):
            if isinstance(found, PlainCsv):
                plain.append((relative_path, digest, path, found))
                plain_rows += found.rows
                if plain_rows >= ROWS_PER_PARSE:
                    parse_plain()
            else:
                add_return(relative_path, digest, found)
        parse_plain()
        _insert_rows(connection, pending, loaded_at)
        _insert_files(connection, new_files, rejected, scan, loaded_at)
        for quarter in quarters:
            connection.execute(
                "insert into raw.requested_quarters values (?, ?, ?, ?)",
                [run_id, loaded_at, quarter.start_year, quarter.number],
            )
        connection.execute("commit")
    except Exception:
        connection.execute("rollback")
        raise
    totals = fetch_row(
        connection,
        "select (select count(*) from raw.returns), (select count(*) from raw.return_files),"
        " (select count(*) from quarantine.rejected_files)",
    )
    return LoadedReturns(
        rows_loaded=sum(int(f["rows_read"]) for f in new_files),
        files_loaded=len(new_files),
        files_rejected=len(rejected),
        total_rows=totals[0],
        total_files=totals[1],
        total_rejected_files=totals[2],
    )


def _new_returns(
    log: logging.Logger | DagsterLogManager,
    files: list[tuple[str, Path]],
    already_loaded: set[tuple[str, str]],
    scan: list[dict[str, object]],
    rejected: list[dict[str, object]],
) -> Iterator[tuple[str, str, Path, ReturnFile | PlainCsv]]:
    """Each file version not loaded before: its path under the folder, its hash, where it
    is, and its rows read, or the file as a plain CSV for a parse of many files to read.
    Every file goes in `scan`; one that cannot be read goes in `rejected`."""
    for relative_path, path in files:
        try:
            content = read_return_bytes(path)
        except UnreadableReturnError as reason:
            _refuse(log, relative_path, NOT_READ, str(reason), scan, rejected)
            continue
        digest = file_hash(content)
        if (relative_path, digest) in already_loaded:
            scan.append({"file_path": relative_path, "file_hash": digest})
            continue
        found = plain_csv(path, content)
        if found is not None:
            scan.append({"file_path": relative_path, "file_hash": digest})
            yield relative_path, digest, path, found
            continue
        returned = _read(log, relative_path, path, digest, content, scan, rejected)
        if returned is not None:
            scan.append({"file_path": relative_path, "file_hash": digest})
            yield relative_path, digest, path, returned


def _read(
    log: logging.Logger | DagsterLogManager,
    relative_path: str,
    path: Path,
    digest: str,
    content: bytes,
    scan: list[dict[str, object]],
    rejected: list[dict[str, object]],
) -> ReturnFile | None:
    """The file read by read_return, or None where it is refused (in `rejected`)."""
    try:
        return read_return(path, content)
    except UnreadableReturnError as reason:
        _refuse(log, relative_path, digest, str(reason), scan, rejected)
    # One file the reader has never met the like of must not stop the
    # others: it is quarantined with what went wrong, for a person to look at.
    except Exception as error:  # noqa: BLE001
        reason = f"the file could not be read ({type(error).__name__}: {error})"
        _refuse(log, relative_path, digest, reason, scan, rejected)
    return None


def _refuse(
    log: logging.Logger | DagsterLogManager,
    relative_path: str,
    digest: str,
    reason: str,
    scan: list[dict[str, object]],
    rejected: list[dict[str, object]],
) -> None:
    """A file quarantined with its reason; it is in the folder's scan, so the run's summary
    names it."""
    scan.append({"file_path": relative_path, "file_hash": digest})
    rejected.append(
        {
            "file_path": relative_path,
            "file_hash": digest,
            "reason": reason,
            "reader_version": READER_VERSION,
        }
    )
    log.warning(f"Rejected {relative_path}: {reason}")


def _file_record(
    relative_path: str, digest: str, read: ReturnFile | PlainCsv, rows_read: int
) -> dict[str, object]:
    """The file's row of raw.return_files, whether read_return read it or a parse of many."""
    return {
        "file_path": relative_path,
        "file_hash": digest,
        "file_format": read.file_format,
        "return_kind": read.kind.name,
        "sheet": read.sheet,
        "encoding": read.encoding,
        "header_row": read.header_row,
        "header": read.header,
        "rows_read": rows_read,
        "sheet_choice": read.sheet_choice,
        "formula_cells": [vars(cell) for cell in read.formula_cells],
    }


_FILE_RECORD_SCHEMA = {
    "sheet_choice": pl.Utf8,
    "formula_cells": pl.List(
        pl.Struct(
            {
                "row_number": pl.Int32,
                "cell": pl.Utf8,
                "column_name": pl.Utf8,
                "formula": pl.Utf8,
            }
        )
    ),
}


def requested_quarters(context: AssetExecutionContext) -> list[Quarter]:
    """The financial quarters this run was asked for, from Dagster's run tags."""
    tags = context.run.tags
    if "dagster/partition" in tags:
        keys = [tags["dagster/partition"]]
    elif "dagster/asset_partition_range_start" in tags:
        keys = quarters_in_range(
            context.instance,
            tags["dagster/asset_partition_range_start"],
            tags["dagster/asset_partition_range_end"],
        )
    else:
        keys = []
    return [Quarter.from_partition_key(key) for key in keys]


def _insert_rows(
    connection: duckdb.DuckDBPyConnection, new_rows: list[pl.DataFrame], loaded_at: dt.datetime
) -> None:
    if not new_rows:
        return
    # One chunk: DuckDB scans it at a third of the cost of one chunk per file.
    rows = pl.concat(new_rows, rechunk=True).with_columns(loaded_at=pl.lit(loaded_at))
    connection.register("new_rows", rows)
    connection.execute("insert into raw.returns by name select * from new_rows")
    connection.unregister("new_rows")


def _insert_files(
    connection: duckdb.DuckDBPyConnection,
    new_files: list[dict[str, object]],
    rejected: list[dict[str, object]],
    scan: list[dict[str, object]],
    loaded_at: dt.datetime,
) -> None:
    # A file version read again (the reader changed since it was quarantined, or its
    # bytes could not be read before) has one verdict: the new one replaces the old.
    verdicts = pl.DataFrame(
        [{"file_path": f["file_path"], "file_hash": f["file_hash"]} for f in new_files + rejected],
        schema={"file_path": pl.Utf8, "file_hash": pl.Utf8},
    )
    connection.register("verdicts", verdicts)
    connection.execute(
        "delete from quarantine.rejected_files "
        "where (file_path, file_hash) in (select (file_path, file_hash) from verdicts) "
        "or (file_hash = ? and file_path in (select file_path from verdicts))",
        [NOT_READ],
    )
    connection.unregister("verdicts")
    if new_files:
        files = pl.DataFrame(new_files, schema_overrides=_FILE_RECORD_SCHEMA).with_columns(
            loaded_at=pl.lit(loaded_at)
        )
        connection.register("new_files", files)
        connection.execute("insert into raw.return_files by name select * from new_files")
        connection.unregister("new_files")
    if rejected:
        files = pl.DataFrame(rejected).with_columns(rejected_at=pl.lit(loaded_at))
        connection.register("new_rejected_files", files)
        connection.execute(
            "insert into quarantine.rejected_files by name select * from new_rejected_files"
        )
        connection.unregister("new_rejected_files")
    # Every run records what the folder held, so each file's current version is
    # the last one seen that could be read, whichever versions were loaded before.
    files_now = pl.DataFrame(
        scan, schema={"file_path": pl.Utf8, "file_hash": pl.Utf8}
    ).with_columns(scanned_at=pl.lit(loaded_at))
    connection.register("files_now", files_now)
    connection.execute("insert into raw.folder_scans by name select * from files_now")
    connection.unregister("files_now")
