"""Great Expectations suites run as Dagster asset checks on the fact table and the marts.

A suite lives in schemas/expectations/ as `<table>.json` (the Great Expectations
suite) beside `<table>.sql` (the batch it validates: the table, with the
columns it must agree with; a batch that names `$run_id` is given the run's id,
to validate only what the run changed). Each suite makes two checks on its table from one
validation: `expectations_critical`, blocking, since a failure means the
tables are wrong and must not be published; and `expectations_warning`, which
is shown but blocks nothing. Every expectation's outcome is also written to
`quality.expectation_results` for the data-quality report. The suites run one
after another, sharing one Great Expectations context, in one step per step of
the tables they check (`marts_models_expectations`).

Great Expectations takes seconds to import, so it is imported only when a
suite runs, and a run from the command line has it imported, in a process of
its own, while the tables are built (pipelines/expectations_process.py).
"""

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    multi_asset_check,
)

from pipelines.expectations_process import SuiteBatch, validate_batches
from pipelines.paths import EXPECTATIONS_DIR
from pipelines.resources import ExpectationSuites, Warehouse
from pipelines.sql_models.model_files import tables_read_by

# Great Expectations' own severities, and the Dagster check each one makes.
CHECK_BY_SEVERITY = {
    "critical": ("expectations_critical", AssetCheckSeverity.ERROR, True),
    "warning": ("expectations_warning", AssetCheckSeverity.WARN, False),
}

RESULTS_DDL = """
create schema if not exists quality;
create table if not exists quality.expectation_results (
    suite varchar not null,
    expectation varchar not null,
    arguments varchar not null,
    severity varchar not null,
    success boolean not null,
    rows_checked bigint,
    unexpected_count bigint,
    unexpected_examples varchar
);
"""


@dataclass(frozen=True)
class Suite:
    name: str  # the table's name: marts.<name>

    @property
    def asset_key(self) -> AssetKey:
        return AssetKey(["marts", self.name])


def discover_suites(directory: Path = EXPECTATIONS_DIR) -> list[Suite]:
    return [Suite(path.stem) for path in sorted(directory.glob("*.json"))]


def validate(
    connection: duckdb.DuckDBPyConnection, suites: list[Suite], directory: Path, run_id: str
) -> pl.DataFrame:
    """Run each suite on its batch; one row per expectation."""
    batches = []
    for suite in suites:
        batch_sql = (directory / f"{suite.name}.sql").read_text()
        rows = connection.sql(
            batch_sql, params={"run_id": run_id} if "$run_id" in batch_sql else None
        ).to_arrow_table()
        expectations = json.loads((directory / f"{suite.name}.json").read_text())
        batches.append(SuiteBatch(suite.name, expectations, rows))
    return pl.DataFrame(
        validate_batches(batches),
        schema={
            "suite": pl.Utf8,
            "expectation": pl.Utf8,
            "arguments": pl.Utf8,
            "severity": pl.Utf8,
            "success": pl.Boolean,
            "rows_checked": pl.Int64,
            "unexpected_count": pl.Int64,
            "unexpected_examples": pl.Utf8,
        },
    )


def build_expectation_checks(name: str, suites: list[Suite]) -> AssetChecksDefinition:
    """The suites' checks, two each, run in one step: the suites are quick, and a step each
    would cost Dagster more than their validation does. (Suites of tables built in
    different steps need steps of their own, or the checks would wait on each other.)"""
    specs = [
        AssetCheckSpec(
            name,
            asset=suite.asset_key,
            # The other tables its batch reads, so the lineage shows what the suite rests on.
            additional_deps=sorted(
                tables_read_by(EXPECTATIONS_DIR / f"{suite.name}.sql") - {suite.asset_key},
                key=AssetKey.to_user_string,
            ),
            blocking=blocking,
            description=f"The {severity} expectations of schemas/expectations/{suite.name}.json"
            + (": a failure stops publication." if blocking else ": shown, never blocking."),
        )
        for suite in suites
        for severity, (name, _, blocking) in CHECK_BY_SEVERITY.items()
    ]

    @multi_asset_check(specs=specs, name=name)
    def run_suites(
        context: AssetCheckExecutionContext,
        warehouse: Warehouse,
        expectation_suites: ExpectationSuites,
    ):
        with warehouse.connect() as connection:
            outcomes = validate(
                connection, suites, expectation_suites.directory, context.run.run_id
            )
            connection.execute(RESULTS_DDL)
            connection.execute(
                "delete from quality.expectation_results where list_contains(?, suite)",
                [[suite.name for suite in suites]],
            )
            connection.register("outcomes", outcomes)
            connection.execute(
                "insert into quality.expectation_results by name select * from outcomes"
            )
        for suite in suites:
            for severity, (name, dagster_severity, _) in CHECK_BY_SEVERITY.items():
                these = outcomes.filter(
                    (pl.col("suite") == suite.name) & (pl.col("severity") == severity)
                )
                failed = these.filter(~pl.col("success"))
                yield AssetCheckResult(
                    asset_key=suite.asset_key,
                    check_name=name,
                    passed=failed.is_empty(),
                    severity=dagster_severity,
                    metadata={
                        "expectations": these.height,
                        "expectations_failed": failed.height,
                        "failed": json.dumps(
                            [
                                f"{r['expectation']} {r['arguments']}"
                                for r in failed.iter_rows(named=True)
                            ]
                        ),
                    },
                )

    return run_suites
