"""Step 2, the gate: Pandera judges every raw row; what passes is typed, what fails is quarantined.

Validation is lazy, so a row reports every failure it has, not only the first.
`quarantine.rejected_rows` holds one row per failure (file, row, column, value,
reason); `validated.indicator_returns` holds the accepted rows with their cells
read into numbers, periods and codes. Nothing is lost: every raw row is in
exactly one of the two, and a blocking check fails the run if that ever breaks.
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
from schemas import cells
from schemas.indicator_return import (
    BLANK_REASONS,
    DUPLICATE_REF_REASON,
    indicator_return_schema,
    normalise_required_cells,
)
from schemas.return_contract import TARGET_COLUMNS, VALUE_COLUMNS

VALIDATED_RETURNS = AssetKey(["validated", "indicator_returns"])
REJECTED_ROWS = AssetKey(["quarantine", "rejected_rows"])

LINEAGE_COLUMNS = ("file_path", "file_hash", "sheet", "row_number", "loaded_at")
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


def judge_rows(raw_rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split raw rows into (accepted rows, still text) and (one row per failure)."""
    rows = normalise_required_cells(raw_rows).with_row_index("gate_index")
    try:
        indicator_return_schema().validate(rows, lazy=True)
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
    rejections = _rejections(rows, failures)
    accepted = rows.join(
        failures.select(pl.col("index").alias("gate_index")).unique(), on="gate_index", how="anti"
    ).drop("gate_index")
    return accepted, rejections


def _rejections(rows: pl.DataFrame, failures: pl.DataFrame) -> pl.DataFrame:
    is_duplicate = pl.col("check") == "multiple_fields_uniqueness"
    reason = (
        pl.when(is_duplicate)
        .then(pl.lit(DUPLICATE_REF_REASON))
        .when(pl.col("check") == "not_nullable")
        .then(pl.col("column").replace_strict(BLANK_REASONS, default=None))
        .otherwise(pl.col("check"))
    )
    return (
        failures.join(rows, left_on="index", right_on="gate_index", how="left")
        .select(
            *(pl.col(c) for c in ("file_path", "file_hash", "sheet", "row_number", "authority")),
            "reporting_period",
            pl.when(is_duplicate)
            .then(pl.lit("ref"))
            .otherwise(pl.col("column"))
            .alias("column_name"),
            pl.when(is_duplicate)
            .then(pl.col("ref"))
            .otherwise(pl.col("failure_case"))
            .alias("value"),
            reason.alias("reason"),
        )
        .cast(REJECTION_SCHEMA)
        .sort("file_path", "row_number", "column_name")
    )


def type_accepted_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """The accepted rows with each cell read as the contract says."""
    col = pl.col
    text = cells.blank_to_null
    quartile_cell = col("comparative_quartile")
    return rows.select(
        *LINEAGE_COLUMNS,
        text(col("authority")).alias("authority"),
        cells.parse_financial_year_start(col("reporting_period")).alias("financial_year_start"),
        cells.parse_period_quarter(col("reporting_period")).alias("reporting_quarter"),
        cells.parse_priority_number(col("priority")).alias("priority_number"),
        cells.parse_priority_name(col("priority")).alias("priority_name"),
        text(col("outcome")).alias("outcome"),
        cells.parse_tier(col("tier")).alias("tier"),
        text(col("ref")).alias("ref"),
        text(col("indicator")).alias("indicator"),
        text(col("frequency")).alias("frequency"),
        cells.parse_polarity(col("polarity")).alias("polarity"),
        cells.parse_measure_type(col("measure_type")).alias("measure_type"),
        *(cells.parse_number(col(c)).alias(c) for c in TARGET_COLUMNS),
        *(
            expression
            for c in VALUE_COLUMNS
            for expression in (
                cells.parse_number(col(c)).alias(c),
                cells.value_note(col(c)).alias(f"{c}_note"),
            )
        ),
        cells.parse_number(col("reported_variance")).alias("reported_variance"),
        text(col("reported_variance")).alias("reported_variance_text"),
        cells.unreadable(col("reported_variance"), cells.parse_number).alias(
            "reported_variance_unreadable"
        ),
        cells.parse_reported_trend(col("reported_trend")).alias("reported_trend"),
        text(col("reported_trend")).alias("reported_trend_text"),
        cells.unreadable(col("reported_trend"), cells.parse_reported_trend).alias(
            "reported_trend_unreadable"
        ),
        cells.parse_quartile(quartile_cell).alias("comparative_quartile"),
        text(quartile_cell).alias("comparative_quartile_text"),
        cells.unreadable(quartile_cell, cells.parse_quartile).alias(
            "comparative_quartile_unreadable"
        ),
        pl.coalesce(
            text(col("comparator_period")), cells.parse_cell_comparator_period(quartile_cell)
        ).alias("comparator_period"),
        pl.coalesce(
            cells.parse_number(col("england_average")),
            cells.parse_cell_average(quartile_cell, "Eng|England"),
        ).alias("england_average"),
        pl.coalesce(
            cells.parse_number(col("comparator_average")),
            cells.parse_cell_average(quartile_cell, "LA|NW|SN|CIPFA"),
        ).alias("comparator_average"),
        text(col("commentary")).alias("commentary"),
        "extra_columns",
    )


@multi_asset(
    name="return_gate",
    group_name="gate",
    specs=[
        AssetSpec(
            VALIDATED_RETURNS,
            deps=[RAW_RETURNS],
            description="The raw rows that passed the Pandera gate, with their cells read: "
            "numbers (per cents in points), notes for value cells that hold text, periods, "
            "priority numbers, polarity, quartiles, printed trends. Grain: file version, row.",
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
    with warehouse.connect() as connection:
        raw_rows = connection.sql("SELECT * FROM raw.returns").pl()
        accepted, rejections = judge_rows(raw_rows)
        typed = type_accepted_rows(accepted)
        connection.execute("CREATE SCHEMA IF NOT EXISTS validated")
        connection.register("typed_rows", typed)
        connection.register("rejection_rows", rejections)
        connection.execute(
            "CREATE OR REPLACE TABLE validated.indicator_returns AS SELECT * FROM typed_rows"
        )
        connection.execute(
            "CREATE OR REPLACE TABLE quarantine.rejected_rows AS SELECT * FROM rejection_rows"
        )
    rows_rejected = rejections.select("file_path", "file_hash", "row_number").unique().height
    by_reason = rejections.group_by("column_name").len().sort("column_name")
    yield MaterializeResult(
        asset_key=VALIDATED_RETURNS,
        metadata={"dagster/row_count": typed.height, "rows_read": raw_rows.height},
    )
    yield MaterializeResult(
        asset_key=REJECTED_ROWS,
        metadata={
            "dagster/row_count": rejections.height,
            "rows_rejected": rows_rejected,
            "failures_by_column": json.dumps(dict(by_reason.iter_rows())),
        },
    )


@asset_check(asset=VALIDATED_RETURNS, blocking=True)
def rows_read_equal_rows_valid_plus_rows_rejected(warehouse: Warehouse) -> AssetCheckResult:
    """Every raw row is either loaded or quarantined, exactly once: never both, never lost,
    never twice. Compared row by row (file, version, row number), not only by count."""
    with warehouse.connect() as connection:
        rows_read, rows_valid, rows_rejected, rows_in_both, rows_lost, rows_twice = fetch_row(
            connection,
            """
            WITH raw_rows AS (
                SELECT file_path, file_hash, row_number FROM raw.returns
            ),
            valid AS (
                SELECT file_path, file_hash, row_number FROM validated.indicator_returns
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
