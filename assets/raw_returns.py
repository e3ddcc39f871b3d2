"""Step 1, raw: every return file in the returns folder, kept losslessly as text.

Each file version is loaded once: a file already loaded with the same content
(path and SHA-256) is skipped, so running twice duplicates nothing, and a
changed file is loaded as a new version beside the old one. Nothing is ever
deleted: `raw.folder_scans` records what the folder held at each run, and the
returns of the latest scan are the current ones. A file that cannot be read at
all goes to `quarantine.rejected_files` with its reason; the other files still
load.
"""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from assets.return_files import (
    ReturnFile,
    UnreadableReturnError,
    discover_returns,
    file_hash,
    read_return,
)
from pipelines.partitions import FINANCIAL_QUARTERS, partition_key
from pipelines.resources import ReturnsFolder, Warehouse, fetch_row
from schemas.return_contract import RAW_COLUMNS

RAW_RETURNS = AssetKey(["raw", "returns"])
RAW_RETURN_FILES = AssetKey(["raw", "return_files"])
RAW_FOLDER_SCANS = AssetKey(["raw", "folder_scans"])
RAW_REQUESTED_QUARTERS = AssetKey(["raw", "requested_quarters"])
REJECTED_FILES = AssetKey(["quarantine", "rejected_files"])

# About 40 MB of text cells: large enough for DuckDB to insert quickly.
ROWS_PER_INSERT = 100_000
_RAW_COLUMNS_DDL = ",\n    ".join(f"{column} VARCHAR" for column in RAW_COLUMNS)
_ADDED_COLUMNS_DDL = "\n".join(
    f"ALTER TABLE raw.returns ADD COLUMN IF NOT EXISTS {column} VARCHAR;" for column in RAW_COLUMNS
)

RAW_TABLES_DDL = f"""
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS quarantine;
CREATE TABLE IF NOT EXISTS raw.return_files (
    file_path VARCHAR NOT NULL,
    file_hash VARCHAR NOT NULL,
    file_format VARCHAR NOT NULL,
    sheet VARCHAR,
    encoding VARCHAR,
    header_row INTEGER NOT NULL,
    header VARCHAR[] NOT NULL,
    rows_read INTEGER NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    return_kind VARCHAR NOT NULL DEFAULT 'indicator',
    PRIMARY KEY (file_path, file_hash)
);
CREATE TABLE IF NOT EXISTS raw.returns (
    file_path VARCHAR NOT NULL,
    file_hash VARCHAR NOT NULL,
    sheet VARCHAR,
    row_number INTEGER NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    return_kind VARCHAR NOT NULL DEFAULT 'indicator',
    {_RAW_COLUMNS_DDL},
    extra_columns JSON,
    PRIMARY KEY (file_hash, file_path, row_number)
);
-- A warehouse built before milestone and comparator returns were read holds
-- indicator returns only; it gains their columns.
ALTER TABLE raw.returns ADD COLUMN IF NOT EXISTS return_kind VARCHAR DEFAULT 'indicator';
ALTER TABLE raw.return_files ADD COLUMN IF NOT EXISTS return_kind VARCHAR DEFAULT 'indicator';
{_ADDED_COLUMNS_DDL}
CREATE TABLE IF NOT EXISTS raw.folder_scans (
    scanned_at TIMESTAMP NOT NULL,
    file_path VARCHAR NOT NULL,
    file_hash VARCHAR NOT NULL,
    PRIMARY KEY (scanned_at, file_path)
);
CREATE TABLE IF NOT EXISTS raw.requested_quarters (
    run_id VARCHAR NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    financial_year_start INTEGER NOT NULL,
    reporting_quarter INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine.rejected_files (
    file_path VARCHAR NOT NULL,
    file_hash VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    rejected_at TIMESTAMP NOT NULL,
    PRIMARY KEY (file_path, file_hash)
);
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
            "encoding, header row and the number of rows read.",
        ),
        AssetSpec(
            RAW_FOLDER_SCANS,
            description="What the returns folder held at each run (path and hash of every "
            "file): the returns of the latest scan are the current ones.",
        ),
        AssetSpec(
            RAW_REQUESTED_QUARTERS,
            description="The financial quarters each run was asked to build: returns are "
            "expected for them even when none has arrived.",
        ),
        AssetSpec(
            REJECTED_FILES,
            description="Return files that could not be read at all, with the reason in plain "
            "words (corrupt workbook, no header, a required column missing, undecodable bytes).",
        ),
    ],
)
def ingest_returns(
    context: AssetExecutionContext, warehouse: Warehouse, returns_folder: ReturnsFolder
):
    root = returns_folder.root
    if not root.is_dir():
        raise FileNotFoundError(f"The returns folder {root} does not exist")
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    new_files: list[dict[str, object]] = []
    scan: list[dict[str, object]] = []
    rejected: list[dict[str, object]] = []
    with warehouse.connect() as connection:
        connection.execute(RAW_TABLES_DDL)
        already_loaded = set(
            connection.sql(
                "SELECT file_path, file_hash FROM raw.return_files "
                "UNION SELECT file_path, file_hash FROM quarantine.rejected_files"
            ).fetchall()
        )
        paths = discover_returns(root)
        # All of a run's new files in one transaction: a failure loads none of them.
        connection.execute("BEGIN TRANSACTION")
        try:
            pending: list[pl.DataFrame] = []
            for relative_path, digest, return_file in _new_returns(
                context, root, paths, already_loaded, scan, rejected
            ):
                pending.append(
                    return_file.rows.with_columns(
                        file_path=pl.lit(relative_path),
                        file_hash=pl.lit(digest),
                        sheet=pl.lit(return_file.sheet, pl.Utf8),
                    )
                )
                new_files.append(_file_record(relative_path, digest, return_file))
                # Rows go to DuckDB in batches, so a folder of every council's returns
                # is never held in memory at once.
                if sum(frame.height for frame in pending) >= ROWS_PER_INSERT:
                    _insert_rows(connection, pending, loaded_at)
                    pending = []
            _insert_rows(connection, pending, loaded_at)
            _insert_files(connection, new_files, rejected, scan, loaded_at)
            quarters = requested_quarters(context)
            for year, quarter in quarters:
                connection.execute(
                    "INSERT INTO raw.requested_quarters VALUES (?, ?, ?, ?)",
                    [context.run.run_id, loaded_at, year, quarter],
                )
            connection.execute("COMMIT")
        except Exception:
            connection.execute("ROLLBACK")
            raise
        totals = fetch_row(
            connection,
            "SELECT (SELECT count(*) FROM raw.returns), (SELECT count(*) FROM raw.return_files),"
            " (SELECT count(*) FROM quarantine.rejected_files)",
        )
    yield MaterializeResult(
        asset_key=RAW_RETURNS,
        metadata={
            "files_found": len(paths),
            "rows_loaded_this_run": sum(f["rows_read"] for f in new_files),
            "dagster/row_count": totals[0],
        },
    )
    yield MaterializeResult(
        asset_key=RAW_RETURN_FILES,
        metadata={"files_loaded_this_run": len(new_files), "dagster/row_count": totals[1]},
    )
    yield MaterializeResult(asset_key=RAW_FOLDER_SCANS, metadata={"files_in_folder": len(scan)})
    yield MaterializeResult(
        asset_key=RAW_REQUESTED_QUARTERS,
        metadata={"quarters": ", ".join(partition_key(*q) for q in quarters)},
    )
    yield MaterializeResult(
        asset_key=REJECTED_FILES,
        metadata={"files_rejected_this_run": len(rejected), "dagster/row_count": totals[2]},
    )


def _new_returns(
    context: AssetExecutionContext,
    root: Path,
    paths: list[Path],
    already_loaded: set[tuple[str, str]],
    scan: list[dict[str, object]],
    rejected: list[dict[str, object]],
) -> Iterator[tuple[str, str, ReturnFile]]:
    """Each file version not loaded before, read: its path under the folder, its hash and
    its rows. Every file goes in `scan`; one that cannot be read goes in `rejected`."""
    for path in paths:
        relative_path = path.relative_to(root).as_posix()
        content = path.read_bytes()
        digest = file_hash(content)
        scan.append({"file_path": relative_path, "file_hash": digest})
        if (relative_path, digest) in already_loaded:
            continue
        try:
            yield relative_path, digest, read_return(path, content)
        except UnreadableReturnError as reason:
            rejected.append(
                {"file_path": relative_path, "file_hash": digest, "reason": str(reason)}
            )
            context.log.warning(f"Rejected {relative_path}: {reason}")
        # One file the reader has never met the like of must not stop the
        # others: it is quarantined with what went wrong, for a person to look at.
        except Exception as error:  # noqa: BLE001
            reason = f"the file could not be read ({type(error).__name__}: {error})"
            rejected.append({"file_path": relative_path, "file_hash": digest, "reason": reason})
            context.log.error(f"Rejected {relative_path}: {reason}")


def _file_record(relative_path: str, digest: str, return_file: ReturnFile) -> dict[str, object]:
    return {
        "file_path": relative_path,
        "file_hash": digest,
        "file_format": return_file.file_format,
        "return_kind": return_file.kind.name,
        "sheet": return_file.sheet,
        "encoding": return_file.encoding,
        "header_row": return_file.header_row,
        "header": return_file.header,
        "rows_read": return_file.rows.height,
    }


def requested_quarters(context: AssetExecutionContext) -> list[tuple[int, int]]:
    """The financial quarters this run was asked for, from Dagster's run tags."""
    tags = context.run.tags
    if "dagster/partition" in tags:
        keys = [tags["dagster/partition"]]
    elif "dagster/asset_partition_range_start" in tags:
        stored = context.instance.get_dynamic_partitions(FINANCIAL_QUARTERS.name)
        first = stored.index(tags["dagster/asset_partition_range_start"])
        last = stored.index(tags["dagster/asset_partition_range_end"])
        keys = stored[first : last + 1]
    else:
        keys = []
    return [(int(key[:4]), int(key[-1])) for key in keys]


def _insert_rows(
    connection: duckdb.DuckDBPyConnection, new_rows: list[pl.DataFrame], loaded_at: dt.datetime
) -> None:
    if not new_rows:
        return
    # One chunk: DuckDB scans it at a third of the cost of one chunk per file.
    rows = pl.concat(new_rows, rechunk=True).with_columns(loaded_at=pl.lit(loaded_at))
    connection.register("new_rows", rows)
    connection.execute("INSERT INTO raw.returns BY NAME SELECT * FROM new_rows")
    connection.unregister("new_rows")


def _insert_files(
    connection: duckdb.DuckDBPyConnection,
    new_files: list[dict[str, object]],
    rejected: list[dict[str, object]],
    scan: list[dict[str, object]],
    loaded_at: dt.datetime,
) -> None:
    if new_files:
        files = pl.DataFrame(new_files).with_columns(loaded_at=pl.lit(loaded_at))
        connection.register("new_files", files)
        connection.execute("INSERT INTO raw.return_files BY NAME SELECT * FROM new_files")
        connection.unregister("new_files")
    if rejected:
        files = pl.DataFrame(rejected).with_columns(rejected_at=pl.lit(loaded_at))
        connection.register("new_rejected_files", files)
        connection.execute(
            "INSERT INTO quarantine.rejected_files BY NAME SELECT * FROM new_rejected_files"
        )
        connection.unregister("new_rejected_files")
    # Every run records what the folder held, so the current returns are
    # exactly the files in it now, whichever versions were loaded before.
    files_now = pl.DataFrame(
        scan, schema={"file_path": pl.Utf8, "file_hash": pl.Utf8}
    ).with_columns(scanned_at=pl.lit(loaded_at))
    connection.register("files_now", files_now)
    connection.execute("INSERT INTO raw.folder_scans BY NAME SELECT * FROM files_now")
    connection.unregister("files_now")
