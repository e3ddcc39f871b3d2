"""Shared fixtures: a DuckDB connection with the rule macros, and pipeline runs.

Pipeline runs go through Dagster (the same job `python -m pipelines run`
executes) into temporary warehouses, with an ephemeral Dagster instance so the
tests leave nothing in the project's own storage.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from pipelines.paths import DEFAULT_RETURNS_DIR, PROJECT_ROOT
from pipelines.resources import load_rule_macros
from pipelines.run import RunOutcome, run_pipeline

HEADER = [
    "authority",
    "reporting_period",
    "priority",
    "ref",
    "indicator",
    "polarity",
    "measure_type",
    "target",
    "target_q2",
    "q1",
    "q2",
    "reported_variance",
    "reported_trend",
    "comparative_quartile",
]


def return_csv(rows: list[dict[str, str]], header: list[str] = HEADER) -> str:
    """A return as CSV text; each row names only the cells it fills."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in header})
    return out.getvalue()


def indicator_row(**cells: str) -> dict[str, str]:
    """A valid row of a made-up authority; the cells given override the defaults."""
    defaults = {
        "authority": "Testshire",
        "reporting_period": "2024-25 Q2",
        "priority": "1",
        "ref": "CYP-006",
        "indicator": "Number of looked after children per 10,000 children",
        "polarity": "Lower",
        "target": "125",
        "q1": "132.2",
        "q2": "124.9",
    }
    return defaults | cells


@pytest.fixture
def rules() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with the macros of sql/macros loaded."""
    with duckdb.connect() as connection:
        load_rule_macros(connection)
        yield connection


def build(returns_dir: Path, warehouse: Path, **options: Path) -> RunOutcome:
    """Run the pipeline; reports go beside the warehouse, not into the project."""
    options.setdefault("reports_dir", warehouse.parent / "reports")
    with DagsterInstance.ephemeral() as instance:
        return run_pipeline(returns_dir, warehouse, instance=instance, **options)


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    """The pipeline run on the sample returns of data/raw."""
    warehouse = tmp_path_factory.mktemp("sample") / "warehouse.duckdb"
    outcome = build(DEFAULT_RETURNS_DIR, warehouse)
    assert outcome.succeeded, outcome.summary()
    return outcome


@pytest.fixture
def sample_warehouse(sample_run: RunOutcome) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(sample_run.warehouse), read_only=True) as connection:
        yield connection


def pipelines_command(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess:
    """`python -m pipelines ...` as a person runs it: Dagster's records go where the
    command puts them, beside the warehouse, whatever the test runner's environment says."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("DAGSTER_")
    }
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *arguments],
        cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip


@pytest.fixture(scope="session")
def sample_command_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess, Path]:
    """`python -m pipelines run` on the sample into a warehouse of its own, run once for
    every test of what the command prints and leaves behind."""
    folder = tmp_path_factory.mktemp("command-line")
    warehouse = folder / "warehouse.duckdb"
    return pipelines_command(folder, "run", "--warehouse", str(warehouse)), warehouse
