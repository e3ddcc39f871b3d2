"""Shared fixtures: a DuckDB connection with the rule macros, and pipeline runs.

Pipeline runs go through Dagster (the same job `python -m pipelines run`
executes) into temporary warehouses, with an ephemeral Dagster instance
(tests/dagster_instance.py) so the tests leave nothing in the project's own storage.

A run costs seconds, so the sample is run once for the whole session, however many
test processes share it, and read by every test that only reads it; a test that runs
again on it starts from a copy (`copy_of_sample_warehouse`).
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import duckdb
import pytest

from pipelines.paths import DEFAULT_RETURNS_DIR, PROJECT_ROOT

# Dagster and the pipeline are imported where a fixture or `build` needs them: pytest-xdist's
# controlling process loads this file for its hooks alone, before it starts the workers,
# and their imports held that start up by 2.5 s.
if TYPE_CHECKING:
    from pipelines.run import RunOutcome
    from pipelines.sql_models.model import SqlModel

T = TypeVar("T")

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


# The modules whose few tests run the pipeline most often, many in processes of their own.
# Under `--dist=loadscope` (pyproject.toml) a worker takes a whole module at a time, in the
# order collected: these go first, so that no worker is left running one alone at the
# end while the others have finished.
MOST_RUNS_FIRST = [
    "test_readers_and_writers.py",
    "test_current_returns.py",
    "test_quiet_run.py",
    "test_data_quality.py",
    "test_gate.py",
    "test_command_line.py",
    "test_history_published_and_restated.py",
    "test_quarterly_operations.py",
    "test_analysts_guide.py",
    "test_validate_command.py",
]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """One worker more than the cores (`--numprocesses=auto`, pyproject.toml): many tests
    wait on processes of their own (a run from the command line, a reader, a run killed
    half-way), and the extra worker runs meanwhile. On 2 cores the suite took 156 s with 3
    workers, 178 s with 2."""
    return len(os.sched_getaffinity(0)) + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def queue_position(item: pytest.Item) -> int:
        name = item.path.name
        return MOST_RUNS_FIRST.index(name) if name in MOST_RUNS_FIRST else len(MOST_RUNS_FIRST)

    items.sort(key=queue_position)  # stable: the other modules keep their order


@cache
def project_sql_models() -> tuple[SqlModel, ...]:
    """`load_sql_models` of the project's sql/, read once in each test process: sqlglot's
    parse of every file took 0.5 s, and several test modules collect their tests from it."""
    from pipelines.paths import SQL_DIR
    from pipelines.sql_models.model_files import load_sql_models

    return tuple(load_sql_models(SQL_DIR))


@pytest.fixture
def rules() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with the macros of sql/macros loaded."""
    from pipelines.resources import load_rule_macros

    with duckdb.connect() as connection:
        load_rule_macros(connection)
        yield connection


def build(returns_dir: Path, warehouse: Path, **options: object) -> RunOutcome:
    """Run the pipeline; reports go beside the warehouse, not into the project."""
    from pipelines.run import run_pipeline
    from tests.dagster_instance import ephemeral_instance

    options.setdefault("reports_dir", warehouse.parent / "reports")
    with ephemeral_instance() as instance:
        return run_pipeline(returns_dir, warehouse, instance=instance, **options)


def once_per_session(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], T]
) -> T:
    """`make(folder)` run once for the whole test session and its result shared.

    pytest-xdist gives each worker process its own session, so a session fixture would
    run once per worker: the first worker to ask makes it in the run's shared temporary
    folder, under a lock, and the others wait for it and read its result."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return make(tmp_path_factory.mktemp(name))
    # Each worker's base folder is popen-gwN inside the folder of this one test run.
    shared = tmp_path_factory.getbasetemp().parent / name
    result = shared / "result.pickle"
    with shared.with_name(f"{name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            shared.mkdir(exist_ok=True)
            result.write_bytes(pickle.dumps(make(shared)))
        return pickle.loads(result.read_bytes())


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    """The pipeline run on the sample returns of data/raw. Read it, never write to it."""
    outcome = once_per_session(
        tmp_path_factory,
        "sample",
        lambda folder: build(DEFAULT_RETURNS_DIR, folder / "warehouse.duckdb"),
    )
    assert outcome.succeeded, outcome.summary()
    return outcome


def copy_of_sample_warehouse(sample_run: RunOutcome, folder: Path) -> Path:
    """The sample run's published warehouse and build file copied into `folder`: what a
    run of the sample into `folder / "warehouse.duckdb"` leaves, for a test to run again on.
    The warehouse names its returns relative to their folder, so any copy of the sample's
    returns is the folder it was built from."""
    warehouse = folder / sample_run.warehouse.name
    shutil.copy2(sample_run.warehouse, warehouse)
    shutil.copy2(sample_run.build_warehouse, folder / sample_run.build_warehouse.name)
    return warehouse


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

    def run_command(folder: Path) -> tuple[subprocess.CompletedProcess, Path]:
        warehouse = folder / "warehouse.duckdb"
        return pipelines_command(folder, "run", "--warehouse", str(warehouse)), warehouse

    return once_per_session(tmp_path_factory, "command-line", run_command)
