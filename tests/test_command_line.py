"""`python -m pipelines run`, as the README runs it, in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from pipelines.paths import DEFAULT_RETURNS_DIR, PROJECT_ROOT
from tests.conftest import build


def test_run_builds_the_warehouse_and_prints_what_it_did(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    environment = os.environ | {
        "DAGSTER_HOME": str(tmp_path),
        "DAGSTER_STORAGE_DIR": str(tmp_path / "storage"),
        "DAGSTER_COMPUTE_LOGS_DIR": str(tmp_path / "compute_logs"),
    }
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines",
            "run",
            "--returns-dir",
            str(DEFAULT_RETURNS_DIR),
            "--warehouse",
            str(warehouse),
        ],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    summary = finished.stdout
    assert "succeeded" in summary
    assert "Files: 8 in the folder: 8 loaded, 0 rejected" in summary
    assert "Rows: 160 read = 160 valid + 0 rejected" in summary
    assert "marts.fct_indicator_observations" in summary
    assert f"Warehouse: {warehouse}" in summary
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        marts = connection.sql(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' ORDER BY 1"
        ).fetchall()
    assert [name for (name,) in marts] == [
        "dim_indicators",
        "dim_periods",
        "dim_priorities",
        "fct_indicator_observations",
        "mart_priority_performance",
        "mart_priority_trend",
        "mart_quartile_distribution",
    ]
    # Dagster recorded the run in the storage it was given, not the project's.
    assert (tmp_path / "storage").is_dir()


def test_run_fails_clearly_when_the_returns_folder_is_missing(tmp_path: Path) -> None:
    environment = os.environ | {
        "DAGSTER_HOME": str(tmp_path),
        "DAGSTER_STORAGE_DIR": str(tmp_path / "storage"),
    }
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines",
            "run",
            "--returns-dir",
            str(tmp_path / "nowhere"),
            "--warehouse",
            str(tmp_path / "w.duckdb"),
        ],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 2
    assert f"the returns folder {tmp_path / 'nowhere'} does not exist" in finished.stderr


def test_a_failed_step_says_why_in_the_summary(tmp_path: Path) -> None:
    # The warehouse's folder is a file, so nothing can be written there.
    (tmp_path / "not-a-folder").write_text("")
    outcome = build(DEFAULT_RETURNS_DIR, tmp_path / "not-a-folder" / "warehouse.duckdb")
    assert not outcome.succeeded
    (step, error), *_ = outcome.failed_steps
    assert step == "ingest_returns"
    assert "FAILED step ingest_returns: " in outcome.summary()
    assert "not-a-folder" in error
