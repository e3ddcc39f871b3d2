"""Reference data the checks compare returns with: the expected-returns register.

`data/reference/expected_returns.csv` says which returns should arrive: per
authority and priority, how often (`Quarterly`, `Annual`, `Quarterly from Q2`)
and from which reporting period. The register is kept by the performance team,
so a mistake in it stops the run with the file, row and column named.
"""

from pathlib import Path

import duckdb
import polars as pl
from dagster import AssetKey, MaterializeResult, asset

from pipelines.resources import ReferenceData, Warehouse
from schemas import cells

EXPECTED_RETURNS = AssetKey(["reference", "expected_returns"])
REGISTER_COLUMNS = ("authority", "priority", "frequency", "from_period")


class RegisterError(ValueError):
    """The expected-returns register cannot be used; the message says where and why."""


def read_register(path: Path) -> pl.DataFrame:
    register = pl.read_csv(path, infer_schema=False)
    missing = [c for c in REGISTER_COLUMNS if c not in register.columns]
    if missing:
        raise RegisterError(f"{path}: missing column(s) {', '.join(missing)}")
    typed = register.with_row_index("row_number", offset=2).with_columns(
        cells.blank_to_null(pl.col("authority")).alias("authority"),
        cells.parse_priority_number(pl.col("priority")).alias("priority_number"),
        cells.blank_to_null(pl.col("frequency")).alias("frequency"),
        cells.parse_financial_year_start(pl.col("from_period")).alias("from_financial_year_start"),
        cells.parse_period_quarter(pl.col("from_period")).alias("from_quarter"),
    )
    problems = []
    for row in typed.iter_rows(named=True):
        where = f"row {row['row_number']}, column"
        if row["authority"] is None:
            problems.append(f"{where} authority: blank")
        if row["priority_number"] is None:
            problems.append(f"{where} priority: {row['priority']!r} has no priority number")
        if row["frequency"] is None:
            problems.append(f"{where} frequency: blank (write Quarterly, Annual or ...from Q2)")
        if row["from_financial_year_start"] is None or row["from_quarter"] is None:
            problems.append(f"{where} from_period: {row['from_period']!r} is not like 2024-25 Q2")
    if problems:
        raise RegisterError(f"{path}: " + "; ".join(problems))
    return typed.select(
        "row_number", "authority", "priority_number", "frequency",
        "from_financial_year_start", "from_quarter",
    )  # fmt: skip


@asset(
    key=EXPECTED_RETURNS,
    group_name="reference",
    description="The expected-returns register: which returns should arrive, per authority and "
    "priority, how often and from which reporting period.",
    kinds={"duckdb"},
)
def expected_returns(warehouse: Warehouse, reference: ReferenceData) -> MaterializeResult:
    with warehouse.connect() as connection:
        rows = load_register(connection, reference.expected_returns_path)
    return MaterializeResult(metadata={"dagster/row_count": rows})


def load_register(connection: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Replace reference.expected_returns with the register at `path`; its number of rows."""
    register = read_register(path)
    connection.execute("create schema if not exists reference")
    connection.register("register_rows", register)
    connection.execute(
        "create or replace table reference.expected_returns as select * from register_rows"
    )
    connection.unregister("register_rows")
    return register.height
