"""What a return must have fixed or explained, read from a warehouse the run's own way.

A return must be **fixed** when the run refuses it: the file could not be read
(`quarantine.rejected_files`) or a row failed the gate (`quarantine.rejected_rows`).
It must be **explained** when a data-quality check found something in it
(`quality.dq_flags`): the run loads and publishes it, but the figure needs a
correction or a sentence. Nothing here judges a return: the words are the
reader's, the gate's and the check models' own. `python -m pipelines validate`
reads these from a scratch build of the files it is given; the query sheets read
them from the run's build.
"""

from __future__ import annotations

import duckdb
import polars as pl

MUST_FIX = "fix"
MUST_EXPLAIN = "explain"
REJECTED_FILE = "REJECTED FILE"
REJECTED_ROW = "REJECTED ROW"
# What settles a query, by what kind of query it is. A finding's own message and
# expected value say what is wrong with the figure; this says what to do about it.
SETTLED_BY = {
    REJECTED_FILE: "Save the file again as the reason says and send it again: none of it is "
    "loaded until then.",
    REJECTED_ROW: "Correct the cell and send the return again: the row is not loaded until then.",
    "ERROR": "Correct the figure: it cannot be right as it stands.",
    "WARN": "Correct the figure, or send the performance team a sentence explaining it.",
    "INFO": "Print the cell as the return template asks; nothing is judged from it as it is.",
}
QUERY_SCHEMA = {
    "file_path": pl.Utf8,
    "must": pl.Utf8,  # fix or explain
    "kind": pl.Utf8,  # REJECTED FILE, REJECTED ROW, or the finding's severity
    "row_number": pl.Int32,
    "ref": pl.Utf8,
    "column_name": pl.Utf8,  # the cell's column, for a rejected row
    "check_name": pl.Utf8,  # the data-quality check, for a finding
    "period": pl.Utf8,
    "value": pl.Utf8,
    "expected": pl.Utf8,
    "message": pl.Utf8,
    "settled_by": pl.Utf8,
}

_QUERIES_SQL = """
with rejected_files as (
    select file_path, 'fix' as must, 'REJECTED FILE' as kind, null::integer as row_number,
        null as ref, null as column_name, null as check_name, null as period, null as value,
        null as expected, reason as message, 0 as rank
    from quarantine.rejected_files
    semi join asked_files using (file_path, file_hash)
),
rejected_rows as (
    select rejected.file_path, 'fix', 'REJECTED ROW', rejected.row_number,
        coalesce(raw_rows.milestone_ref, raw_rows.ref),
        rejected.column_name, null, rejected.reporting_period, rejected.value, null,
        rejected.reason, 1
    from quarantine.rejected_rows as rejected
    semi join asked_files using (file_path, file_hash)
    left join raw.returns as raw_rows using (file_path, file_hash, row_number)
),
findings as (
    select source_file_path, 'explain', severity, source_row_number, ref, null, check_name,
        coalesce(period_key, reporting_period), observed, expected, message,
        case severity when 'ERROR' then 2 when 'WARN' then 3 else 4 end
    from quality.dq_flags
    where source_file_path in (select file_path from asked_files)
)
select * exclude (rank) from (
    from rejected_files union all from rejected_rows union all from findings
) as queries
order by file_path, rank, row_number nulls first, column_name, check_name, period
"""


def return_queries(connection: duckdb.DuckDBPyConnection, files: pl.DataFrame) -> pl.DataFrame:
    """Every query on the given file versions (file_path, file_hash), in QUERY_SCHEMA:
    what must be fixed first, then the findings, most severe first, row by row.
    A finding names its file by path only: every finding is on a current return
    (staging.stg_current_return_files), which holds one version of each file."""
    connection.register("asked_files", files.select("file_path", "file_hash"))
    try:
        queries = connection.sql(_QUERIES_SQL).pl()
    finally:
        connection.unregister("asked_files")
    return queries.with_columns(
        pl.col("kind").replace_strict(SETTLED_BY, return_dtype=pl.Utf8).alias("settled_by")
    ).cast(QUERY_SCHEMA)


def files_in_folder(connection: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The file versions the returns folder held at the latest run (file_path, file_hash)."""
    return connection.sql(
        "select file_path, file_hash from raw.folder_scans "
        "where scanned_at = (select max(scans.scanned_at) from raw.folder_scans as scans) "
        "order by file_path"
    ).pl()
