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
WITH rejected_files AS (
    SELECT file_path, 'fix' AS must, 'REJECTED FILE' AS kind, NULL::INTEGER AS row_number,
        NULL AS ref, NULL AS column_name, NULL AS check_name, NULL AS period, NULL AS value,
        NULL AS expected, reason AS message, 0 AS rank
    FROM quarantine.rejected_files
    SEMI JOIN asked_files USING (file_path, file_hash)
),
rejected_rows AS (
    SELECT rejected.file_path, 'fix', 'REJECTED ROW', rejected.row_number,
        coalesce(raw_rows.milestone_ref, raw_rows.ref),
        rejected.column_name, NULL, rejected.reporting_period, rejected.value, NULL,
        rejected.reason, 1
    FROM quarantine.rejected_rows AS rejected
    SEMI JOIN asked_files USING (file_path, file_hash)
    LEFT JOIN raw.returns AS raw_rows USING (file_path, file_hash, row_number)
),
findings AS (
    SELECT source_file_path, 'explain', severity, source_row_number, ref, NULL, check_name,
        coalesce(period_key, reporting_period), observed, expected, message,
        CASE severity WHEN 'ERROR' THEN 2 WHEN 'WARN' THEN 3 ELSE 4 END
    FROM quality.dq_flags
    WHERE source_file_path IN (SELECT file_path FROM asked_files)
)
SELECT * EXCLUDE (rank) FROM (
    FROM rejected_files UNION ALL FROM rejected_rows UNION ALL FROM findings
) AS queries
ORDER BY file_path, rank, row_number NULLS FIRST, column_name, check_name, period
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
        "SELECT file_path, file_hash FROM raw.folder_scans "
        "WHERE scanned_at = (SELECT max(scans.scanned_at) FROM raw.folder_scans AS scans) "
        "ORDER BY file_path"
    ).pl()
