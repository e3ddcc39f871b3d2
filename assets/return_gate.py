"""Step 2, the gate: Pandera judges every raw row; what passes is typed, what fails is quarantined.

Each kind of return has its schema (schemas/<kind>_return.py). Validation is
lazy, so a row reports every failure it has, not only the first.
`quarantine.rejected_rows` holds one row per failure (file, row, column, value,
reason); `validated.<kind>_returns` hold the accepted rows with their cells read
into numbers, periods and codes. Nothing is lost: every raw row is in exactly
one of them, and a blocking check fails the run if that ever breaks.
"""

import json

import pandera.polars as pa
import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    asset_check,
    multi_asset,
)

from assets.raw_returns import RAW_RETURNS
from pipelines.resources import Warehouse, fetch_row
from schemas import comparator_return, indicator_return, milestone_return
from schemas.gate_checks import LINEAGE_COLUMNS, ReturnGate

GATES: tuple[ReturnGate, ...] = (
    indicator_return.GATE,
    milestone_return.GATE,
    comparator_return.GATE,
)
VALIDATED_TABLES = {gate.table: AssetKey(gate.table.split(".")) for gate in GATES}
VALIDATED_RETURNS = VALIDATED_TABLES[indicator_return.GATE.table]
REJECTED_ROWS = AssetKey(["quarantine", "rejected_rows"])
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
    ],
)
def return_gate(warehouse: Warehouse):
    rejected: list[pl.DataFrame] = []
    rows_in: dict[str, tuple[int, int]] = {}
    with warehouse.connect() as connection:
        connection.execute("CREATE SCHEMA IF NOT EXISTS validated")
        for gate in GATES:
            columns = ", ".join((*LINEAGE_COLUMNS, *gate.kind.columns, "extra_columns"))
            raw_rows = connection.sql(
                f"SELECT {columns} FROM raw.returns WHERE return_kind = ?",
                params=[gate.kind.name],
            ).pl()
            accepted, rejections = judge_rows(raw_rows, gate)
            typed = gate.type_rows(accepted)
            connection.register("typed_rows", typed)
            connection.execute(f"CREATE OR REPLACE TABLE {gate.table} AS SELECT * FROM typed_rows")
            connection.unregister("typed_rows")
            rejected.append(rejections)
            rows_in[gate.table] = (raw_rows.height, typed.height)
        rejections = pl.concat(rejected).sort("file_path", "row_number", "column_name")
        connection.register("rejection_rows", rejections)
        connection.execute(
            "CREATE OR REPLACE TABLE quarantine.rejected_rows AS SELECT * FROM rejection_rows"
        )
    rows_rejected = rejections.select("file_path", "file_hash", "row_number").unique().height
    by_reason = rejections.group_by("column_name").len().sort("column_name")
    for table, (rows_read, rows_valid) in rows_in.items():
        yield MaterializeResult(
            asset_key=VALIDATED_TABLES[table],
            metadata={"dagster/row_count": rows_valid, "rows_read": rows_read},
        )
    yield MaterializeResult(
        asset_key=REJECTED_ROWS,
        metadata={
            "dagster/row_count": rejections.height,
            "rows_rejected": rows_rejected,
            "failures_by_column": json.dumps(dict(by_reason.iter_rows())),
        },
    )


VALIDATED_ROWS_SQL = " UNION ALL ".join(
    f"SELECT file_path, file_hash, row_number FROM {gate.table}" for gate in GATES
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
            WITH raw_rows AS (
                SELECT file_path, file_hash, row_number FROM raw.returns
            ),
            valid AS (
                {VALIDATED_ROWS_SQL}
            ),
            rejected AS (
                SELECT DISTINCT file_path, file_hash, row_number FROM quarantine.rejected_rows
            )
            SELECT
                (SELECT count(*) FROM raw_rows),
                (SELECT count(*) FROM valid),
                (SELECT count(*) FROM rejected),
                (SELECT count(*) FROM valid JOIN rejected USING (file_path, file_hash, row_number)),
                (SELECT count(*) FROM raw_rows
                    ANTI JOIN valid USING (file_path, file_hash, row_number)
                    ANTI JOIN rejected USING (file_path, file_hash, row_number)),
                (SELECT count(*) - count(DISTINCT (file_path, file_hash, row_number)) FROM valid)
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
