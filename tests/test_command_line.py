"""The command line as the README uses it, each command in a process of its own."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from pipelines.paths import DEFAULT_RETURNS_DIR
from tests.conftest import build, pipelines_command


def test_run_builds_the_warehouse_and_prints_what_it_did(sample_command_run) -> None:
    finished, warehouse = sample_command_run
    assert finished.returncode == 0, finished.stdout + finished.stderr
    summary = finished.stdout
    assert "succeeded" in summary
    assert "Quarters: 2021-22-Q2, 2021-22-Q4, 2024-25-Q2" in summary
    assert "Files: 10 in the folder: 10 loaded, 0 rejected" in summary
    assert "Rows: 287 read = 287 valid + 0 rejected" in summary
    assert f"Warehouse: {warehouse} (published)" in summary
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        marts = connection.sql(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
        ).fetchall()
    assert f"marts {len(marts)}," in summary
    assert [name for (name,) in marts] == [
        "dim_indicators", "dim_periods", "dim_priorities", "fct_comparator_position",
        "fct_indicator_observations", "fct_indicator_quartiles", "fct_milestone_progress",
        "mart_objective_progress", "mart_priority_performance",
        "mart_priority_performance_by_judgement", "mart_priority_performance_restated",
        "mart_priority_trend", "mart_priority_trend_by_judgement",
        "mart_priority_trend_restated", "mart_quartile_distribution",
        "mart_quartile_distribution_by_judgement", "mart_quartile_distribution_restated",
    ]  # fmt: skip
    # The reports and Dagster's records of a warehouse the settings do not name go beside it.
    assert (
        warehouse.parent / "warehouse.reports" / "quarterly" / "st-helens-2024-25-Q2.html"
    ).is_file()
    assert (warehouse.parent / "warehouse.dagster" / "history").is_dir()


def test_run_fails_clearly_when_the_returns_folder_is_missing(tmp_path: Path) -> None:
    finished = pipelines_command(
        tmp_path, "run", "--returns-dir", str(tmp_path / "nowhere"),
        "--warehouse", str(tmp_path / "w.duckdb"),
    )  # fmt: skip
    assert finished.returncode == 2
    assert f"the returns folder {tmp_path / 'nowhere'} does not exist" in finished.stderr


def test_run_refuses_a_period_that_is_not_a_financial_quarter(tmp_path: Path) -> None:
    finished = pipelines_command(tmp_path, "run", "--period", "2024 Q2")
    assert finished.returncode == 2
    assert "'2024 Q2' is not a financial quarter such as 2024-25-Q2" in finished.stderr


def test_report_writes_a_quarters_report_from_the_published_warehouse(
    sample_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    finished = pipelines_command(
        tmp_path, "report", "--period", "2024-25-Q2", "--warehouse", str(sample_run.warehouse),
        "--reports-dir", str(tmp_path / "reports"),
    )  # fmt: skip
    assert finished.returncode == 0, finished.stdout + finished.stderr
    folder = tmp_path / "reports" / "quarterly"
    assert sorted(p.name for p in folder.iterdir()) == [
        "halton-2024-25-Q2.html", "halton-2024-25-Q2.xlsx",
        "st-helens-2024-25-Q2.html", "st-helens-2024-25-Q2.xlsx",
    ]  # fmt: skip
    # The same command for a quarter with no returns, in this process: the command line
    # itself was proved above, in a process of its own.
    for name in ("DAGSTER_HOME", "DAGSTER_STORAGE_DIR", "DAGSTER_COMPUTE_LOGS_DIR"):
        monkeypatch.setenv(name, str(tmp_path / "dagster"))  # the command sets them; restored
    nothing = main([
        "report", "--period", "2019-20-Q1", "--warehouse", str(sample_run.warehouse),
        "--reports-dir", str(tmp_path / "reports"),
    ])  # fmt: skip
    assert nothing == 1
    assert "holds no returns as at 2019-20 Q1" in capsys.readouterr().out


def test_a_failed_step_says_why_in_the_summary(tmp_path: Path) -> None:
    # The warehouse's folder is a file, so nothing can be written there.
    (tmp_path / "not-a-folder").write_text("")
    outcome = build(DEFAULT_RETURNS_DIR, tmp_path / "not-a-folder" / "warehouse.duckdb")
    assert not outcome.succeeded
    (step, error), *_ = outcome.failed_steps
    assert step == "ingest_returns"
    assert "The run failed at step ingest_returns: " in outcome.summary()
    assert "not-a-folder" in error
    # The stack trace is in a file the summary names, not on the screen.
    assert outcome.failure_log is not None
    assert f"the full error is in {outcome.failure_log}." in outcome.summary()
    stack_line = re.compile(r'File ".+", line \d+, in ')
    assert stack_line.search(outcome.failure_log.read_text())
    assert not stack_line.search(outcome.summary())
