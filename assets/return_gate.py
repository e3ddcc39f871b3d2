"""Step 2, the gate: Pandera judges every raw row; what passes is typed, what fails is quarantined.

Each kind of return has its schema (schemas/<kind>_return.py). Validation is
lazy, so a row reports every failure it has, not only the first. Each file
version is judged once (`validated.judged_files` says when, and by which
version of the rules), in batches of whole files, each written in one
transaction with the record that its files are judged, so a quarter's run judges its
new returns only and a folder of every council's returns is never in memory at
once; when the rules change, every row is judged again.
An authority's name is decided once: the first spelling the gate meets (in a
batch, the most common, mixed case before capitals) is recorded in
`validated.authority_names`, and a later return spelling it in another case or
spacing (`REDSHIRE`) is read as that name; quality.check_authority_spelling
flags the variant.
`quarantine.rejected_rows` holds one row per failure (file, row, column, value,
reason); `validated.<kind>_returns` hold the accepted rows with their cells read
into numbers, periods and codes. Nothing is lost: every raw row is in exactly
one of them, and a blocking check fails the run if that ever breaks.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandera.polars as pa
import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    DagsterLogManager,
    MaterializeResult,
    asset_check,
    multi_asset,
)

from assets.raw_returns import RAW_RETURNS
from pipelines.paths import PROJECT_ROOT
from pipelines.resources import Warehouse, fetch_row
from schemas import cells, comparator_return, indicator_return, milestone_return
from schemas.gate_checks import LINEAGE_COLUMNS, ReturnGate

GATES: tuple[ReturnGate, ...] = (
    indicator_return.GATE,
    milestone_return.GATE,
    comparator_return.GATE,
)
VALIDATED_TABLES = {gate.table: AssetKey(gate.table.split(".")) for gate in GATES}
VALIDATED_RETURNS = VALIDATED_TABLES[indicator_return.GATE.table]
REJECTED_ROWS = AssetKey(["quarantine", "rejected_rows"])
JUDGED_FILES = AssetKey(["validated", "judged_files"])
REJECTION_SCHEMA = {
    "file_path": pl.Utf8,
    "file_hash": pl.Utf8,
    "sheet": pl.Utf8,
    "row_number": pl.Int32,
    "authority": pl.Utf8,
    "reporting_period": pl.Utf8,
    "column_name": pl.Utf8,
    "value": pl.Utf8,
    "reason": pl.Utf8,
}


def judge_rows(raw_rows: pl.DataFrame, gate: ReturnGate) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split one kind's raw rows into (accepted rows, still text) and (one row per failure)."""
    rows = gate.normalise(raw_rows).with_row_index("gate_index")
    try:
        gate.schema().validate(rows, lazy=True)
        failures = pl.DataFrame(
            schema={
                "index": pl.UInt32,
                "column": pl.Utf8,
                "check": pl.Utf8,
                "failure_case": pl.Utf8,
            }
        )
    except pa.errors.SchemaErrors as errors:
        failures = errors.failure_cases.select(
            pl.col("index").cast(pl.UInt32), "column", "check", pl.col("failure_case").cast(pl.Utf8)
        )
    rejections = _rejections(rows, failures, gate)
    accepted = rows.join(
        failures.select(pl.col("index").alias("gate_index")).unique(), on="gate_index", how="anti"
    ).drop("gate_index")
    return accepted, rejections


def _rejections(rows: pl.DataFrame, failures: pl.DataFrame, gate: ReturnGate) -> pl.DataFrame:
    is_duplicate = pl.col("check") == "multiple_fields_uniqueness"
    reason = (
        pl.when(is_duplicate)
        .then(pl.lit(gate.duplicate_reason))
        .when(pl.col("check") == "not_nullable")
        .then(pl.col("column").replace_strict(gate.blank_reasons, default=None))
        .otherwise(pl.col("check"))
    )
    return (
        failures.join(rows, left_on="index", right_on="gate_index", how="left")
        .select(
            *(pl.col(c) for c in ("file_path", "file_hash", "sheet", "row_number", "authority")),
            "reporting_period",
            pl.when(is_duplicate)
            .then(pl.lit(gate.duplicate_column))
            .otherwise(pl.col("column"))
            .alias("column_name"),
            pl.when(is_duplicate)
            .then(pl.col(gate.duplicate_column))
            .otherwise(pl.col("failure_case"))
            .alias("value"),
            reason.alias("reason"),
        )
        .cast(REJECTION_SCHEMA)
        .sort("file_path", "row_number", "column_name")
    )


@multi_asset(
    name="return_gate",
    group_name="gate",
    specs=[
        *(
            AssetSpec(
                VALIDATED_TABLES[gate.table],
                deps=[RAW_RETURNS],
                description=f"The rows of {gate.kind.name} returns that passed the Pandera gate, "
                f"with their cells read: {gate.description}. "
                "Grain: file version, row.",
            )
            for gate in GATES
        ),
        AssetSpec(
            REJECTED_ROWS,
            deps=[RAW_RETURNS],
            description="One row per failure of a raw row at the gate: file, row number, column, "
            "the value typed and the reason in plain words. A rejected row is not loaded.",
        ),
        AssetSpec(
            JUDGED_FILES,
            deps=[RAW_RETURNS],
            description="One row per file version the gate has judged: when, and by which "
            "version of its rules. When the rules change, every version is judged again.",
        ),
    ],
)
def return_gate(context: AssetExecutionContext, warehouse: Warehouse):
    with warehouse.connect() as connection:
        judged = judge_returns(connection, context.log)
    rejections = judged.rejections
    rows_rejected = rejections.select("file_path", "file_hash", "row_number").unique().height
    by_reason = rejections.group_by("column_name").len().sort("column_name")
    for table, (rows_read, rows_valid) in judged.rows_in.items():
        yield MaterializeResult(
            asset_key=VALIDATED_TABLES[table],
            metadata={
                "dagster/row_count": judged.totals[table],
                "rows_read_this_run": rows_read,
                "rows_valid_this_run": rows_valid,
            },
        )
    yield MaterializeResult(
        asset_key=REJECTED_ROWS,
        metadata={
            "dagster/row_count": judged.totals["quarantine.rejected_rows"],
            "failures_this_run": rejections.height,
            "rows_rejected_this_run": rows_rejected,
            "failures_by_column_this_run": json.dumps(dict(by_reason.iter_rows())),
        },
    )
    yield MaterializeResult(
        asset_key=JUDGED_FILES,
        metadata={"dagster/row_count": judged.totals["validated.judged_files"]},
    )


@dataclass(frozen=True)
class JudgedReturns:
    """What one pass of the gate judged: rows read and valid per validated table, the
    failures it quarantined, and the row count of every table it writes."""

    rows_in: dict[str, tuple[int, int]]
    rejections: pl.DataFrame
    totals: dict[str, int]


def judge_returns(
    connection: duckdb.DuckDBPyConnection, log: logging.Logger | DagsterLogManager
) -> JudgedReturns:
    """Judge every raw file version not yet judged by the gate's rules as they are now:
    the run's gate, and `python -m pipelines validate` on a scratch copy."""
    rows_in: dict[str, tuple[int, int]] = {}
    rejected_this_run: list[pl.DataFrame] = []
    connection.execute(GATE_TABLES_DDL)
    # A file version is judged once, by the gate's rules of the time; when the rules
    # change, every row is judged again by the new ones.
    if _rules_changed(connection):
        log.info("Every row is judged: none has been by the gate's rules as they are now.")
        connection.execute("delete from validated.judged_files")
        for table in (*(gate.table for gate in GATES), "quarantine.rejected_rows"):
            connection.execute(f"drop table if exists {table}")
    # The tables exist before any batch is written: appending to a table created in
    # the same transaction left the rows unseen by the run's other connections
    # (DuckDB 2.0.0, a million rows and more).
    for gate in GATES:
        _create(connection, gate.table, gate.type_rows(_no_rows(connection, gate)))
    _create(connection, "quarantine.rejected_rows", pl.DataFrame(schema=REJECTION_SCHEMA))
    for gate in GATES:
        rows_read = rows_valid = 0
        for batch in _unjudged_batches(connection, gate):
            raw_rows = _named_authorities(connection, _raw_rows(connection, gate, batch))
            accepted, rejections = judge_rows(raw_rows, gate)
            typed = gate.type_rows(accepted)
            _write_batch(connection, gate, batch, typed, rejections)
            rejected_this_run.append(rejections)
            rows_read += int(batch["rows_read"].sum())
            rows_valid += typed.height
        rows_in[gate.table] = (rows_read, rows_valid)
    totals = {
        table: fetch_row(connection, f"select count(*) from {table}")[0]
        for table in (*rows_in, "quarantine.rejected_rows", "validated.judged_files")
    }
    return JudgedReturns(
        rows_in=rows_in,
        rejections=pl.concat([pl.DataFrame(schema=REJECTION_SCHEMA), *rejected_this_run]),
        totals=totals,
    )


# A version of the gate's rules: the text of the schemas and of this module.
RULES_VERSION = hashlib.sha256(
    b"".join(
        path.read_bytes()
        for path in sorted([*(PROJECT_ROOT / "schemas").glob("*.py"), Path(__file__)])
    )
).hexdigest()[:16]
# Rows judged at once: about 100 MB of text for Pandera to hold and check.
ROWS_PER_BATCH = 200_000

GATE_TABLES_DDL = """
create schema if not exists validated;
create schema if not exists quarantine;
create table if not exists validated.judged_files (
    file_path varchar not null,
    file_hash varchar not null,
    rules_version varchar not null,
    judged_at timestamp not null
);
create table if not exists validated.authority_names (
    authority_key varchar primary key,
    authority varchar not null,
    named_at timestamp not null
);
"""


def _rules_changed(connection: duckdb.DuckDBPyConnection) -> bool:
    """Whether the rows judged so far were judged by other rules. With no record of any
    file judged, the validated tables (of a warehouse built before the record was kept)
    are judged again too, rather than trusted."""
    versions = connection.sql("select distinct rules_version from validated.judged_files")
    return [version for (version,) in versions.fetchall()] != [RULES_VERSION]


def _unjudged_batches(connection: duckdb.DuckDBPyConnection, gate: ReturnGate):
    """The file versions of this kind not yet judged, in batches of about ROWS_PER_BATCH
    rows; a file's rows are never split, since a duplicate is a duplicate in its file."""
    files = connection.sql(
        """
        select file_path, file_hash, rows_read from raw.return_files
        anti join validated.judged_files using (file_path, file_hash)
        where return_kind = ?
        order by file_path, file_hash
        """,
        params=[gate.kind.name],
    ).pl()
    batch_number = (files["rows_read"].cum_sum() - files["rows_read"]) // ROWS_PER_BATCH
    for _, batch in files.with_columns(batch=batch_number).group_by("batch", maintain_order=True):
        yield batch.drop("batch")


def _raw_rows(
    connection: duckdb.DuckDBPyConnection, gate: ReturnGate, files: pl.DataFrame
) -> pl.DataFrame:
    connection.register("batch_files", files)
    rows = connection.sql(
        f"select {', '.join(_raw_columns(gate))} from raw.returns "
        "semi join batch_files using (file_path, file_hash) order by file_path, row_number"
    ).pl()
    connection.unregister("batch_files")
    return rows


def _named_authorities(connection: duckdb.DuckDBPyConnection, rows: pl.DataFrame) -> pl.DataFrame:
    """The rows with each authority written as the name it was first given; an authority
    new to the warehouse is named by its most common spelling in these rows."""
    key = cells.read_each_distinct(rows["authority"], cells.authority_key).alias("authority_key")
    spellings = (
        rows.select(key, cells.blank_to_null(pl.col("authority")))
        .drop_nulls()
        .group_by("authority_key", "authority")
        .len()
        .with_columns(in_capitals=pl.col("authority") == pl.col("authority").str.to_uppercase())
        .sort(
            ["authority_key", "len", "in_capitals", "authority"],
            descending=[False, True, False, False],
        )
        .group_by("authority_key", maintain_order=True)
        .first()
        .select("authority_key", "authority")
    )
    connection.register("spellings", spellings)
    connection.execute(
        "insert into validated.authority_names select authority_key, authority, now() "
        "from spellings on conflict do nothing"
    )
    connection.unregister("spellings")
    names = connection.sql(
        "select authority_key, authority as named from validated.authority_names"
    ).pl()
    return (
        rows.with_columns(key)
        .join(names, on="authority_key", how="left", maintain_order="left")
        .with_columns(pl.coalesce("named", "authority").alias("authority"))
        .drop("authority_key", "named")
    )


def _no_rows(connection: duckdb.DuckDBPyConnection, gate: ReturnGate) -> pl.DataFrame:
    """The raw columns of this kind with no rows: the validated table exists, empty, even
    before a return of its kind arrives."""
    columns = ", ".join(_raw_columns(gate))
    return connection.sql(f"select {columns} from raw.returns where false").pl()


def _raw_columns(gate: ReturnGate) -> tuple[str, ...]:
    return (*LINEAGE_COLUMNS, *gate.kind.columns, "extra_columns")


def _create(connection: duckdb.DuckDBPyConnection, table: str, like: pl.DataFrame) -> None:
    connection.register("like_rows", like)
    connection.execute(f"create table if not exists {table} as select * from like_rows where false")
    connection.unregister("like_rows")


def _write_batch(
    connection: duckdb.DuckDBPyConnection,
    gate: ReturnGate,
    files: pl.DataFrame,
    typed: pl.DataFrame,
    rejections: pl.DataFrame,
) -> None:
    """A batch's accepted rows, its failures and the record that its files are judged, all
    or nothing: a file is never half judged, nor judged twice."""
    connection.execute("begin transaction")
    try:
        for table, rows in ((gate.table, typed), ("quarantine.rejected_rows", rejections)):
            connection.register("batch_rows", rows)
            connection.execute(f"insert into {table} by name from batch_rows")
            connection.unregister("batch_rows")
        connection.register("batch_files", files)
        connection.execute(
            "insert into validated.judged_files "
            "select file_path, file_hash, ?, now() from batch_files",
            [RULES_VERSION],
        )
        connection.unregister("batch_files")
        connection.execute("commit")
    except Exception:
        connection.execute("rollback")
        raise


VALIDATED_ROWS_SQL = " union all ".join(
    f"select file_path, file_hash, row_number from {gate.table}" for gate in GATES
)


@asset_check(asset=VALIDATED_RETURNS, blocking=True)
def rows_read_equal_rows_valid_plus_rows_rejected(warehouse: Warehouse) -> AssetCheckResult:
    """Every raw row is either loaded or quarantined, exactly once: never both, never lost,
    never twice, whatever kind of return it is in. Compared row by row (file, version, row
    number), not only by count."""
    with warehouse.connect() as connection:
        rows_read, rows_valid, rows_rejected, rows_in_both, rows_lost, rows_twice = fetch_row(
            connection,
            f"""
            with raw_rows as (
                select file_path, file_hash, row_number from raw.returns
            ),
            valid as (
                {VALIDATED_ROWS_SQL}
            ),
            rejected as (
                select distinct file_path, file_hash, row_number from quarantine.rejected_rows
            )
            select
                (select count(*) from raw_rows),
                (select count(*) from valid),
                (select count(*) from rejected),
                (select count(*) from valid join rejected using (file_path, file_hash, row_number)),
                (select count(*) from raw_rows
                    anti join valid using (file_path, file_hash, row_number)
                    anti join rejected using (file_path, file_hash, row_number)),
                (select count(*) - count(distinct (file_path, file_hash, row_number)) from valid)
            """,
        )
    return AssetCheckResult(
        passed=rows_read == rows_valid + rows_rejected
        and rows_in_both == rows_lost == rows_twice == 0,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "rows_read": rows_read,
            "rows_valid": rows_valid,
            "rows_rejected": rows_rejected,
            "rows_both_valid_and_rejected": rows_in_both,
            "rows_neither_valid_nor_rejected": rows_lost,
            "rows_valid_twice": rows_twice,
        },
    )
