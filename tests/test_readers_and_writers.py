"""Analysts are never blocked and never see half a warehouse: proved with real processes.

A reader holds the published warehouse open read-only (another keeps opening it
afresh), each in a process of its own, while a run builds and publishes; a run
started by the command line is killed half-way; one fails a blocking check.
DuckDB lets one process write a file only while no other has it open, so the run
never writes the file readers have: it builds beside it and swaps the new file
in with one rename.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.paths import DEFAULT_RETURNS_DIR, EXPECTATIONS_DIR, PROJECT_ROOT
from pipelines.run import RunOutcome
from tests.conftest import build, copy_of_sample_warehouse
from tests.test_quarterly_operations import PRIORITY_1_Q2, correct

READER = PROJECT_ROOT / "tests" / "reader_process.py"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_command(tmp_path: Path, returns: Path, warehouse: Path, *options: str) -> subprocess.Popen:
    environment = os.environ | {
        "DAGSTER_HOME": str(tmp_path),
        "DAGSTER_STORAGE_DIR": str(tmp_path / "dagster"),
        "DAGSTER_COMPUTE_LOGS_DIR": str(tmp_path / "dagster" / "logs"),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines", "run", "--period", "2024-25-Q2",
         "--returns-dir", str(returns), "--warehouse", str(warehouse),
         "--reports-dir", str(tmp_path / "reports"), *options],
        cwd=PROJECT_ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip


def start_reader(warehouse: Path, mode: str, tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    output = tmp_path / f"{mode}.jsonl"
    reader = subprocess.Popen(
        [sys.executable, str(READER), str(warehouse), mode, str(output), str(tmp_path / "stop")],
        cwd=PROJECT_ROOT,
    )
    deadline = time.monotonic() + 60
    while not (output.exists() and output.read_text().count("\n") >= 2):
        assert reader.poll() is None, f"the {mode} reader stopped early"
        assert time.monotonic() < deadline, f"the {mode} reader never read"
        time.sleep(0.1)
    return reader, output


def looks(output: Path) -> list[dict]:
    return [json.loads(line) for line in output.read_text().splitlines()]


@pytest.fixture
def published(sample_run: RunOutcome, tmp_path: Path) -> tuple[Path, Path]:
    """A published sample warehouse and a copy of its returns to correct, each test its own
    copy of the session's one build of the sample."""
    assert sample_run.published, sample_run.summary()
    returns = tmp_path / "returns"
    shutil.copytree(DEFAULT_RETURNS_DIR, returns)
    return returns, copy_of_sample_warehouse(sample_run, tmp_path)


def state(warehouse: Path) -> tuple[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        last_load, mart_met, _ = connection.sql(
            "select cast(max(loaded_at) as varchar), "
            "(select sum(n_met) from marts.mart_priority_performance where priority is null), 0 "
            "from raw.return_files"
        ).fetchall()[0]
    return last_load, mart_met


def test_readers_neither_block_a_run_nor_see_it_half_done(published, tmp_path) -> None:
    returns, warehouse = published
    before = state(warehouse)
    holder, held_looks = start_reader(warehouse, "hold", tmp_path)
    reopener, fresh_looks = start_reader(warehouse, "reopen", tmp_path)
    correct(returns / PRIORITY_1_Q2, "CYP-012", q2="31")
    # The run in the test's own process: the readers are the processes apart that matter.
    run = build(returns, warehouse, quarters=["2024-25-Q2"])
    time.sleep(0.5)  # let the re-opening reader look at the new warehouse
    (tmp_path / "stop").touch()
    assert holder.wait(timeout=30) == 0 and reopener.wait(timeout=30) == 0
    assert run.succeeded, run.summary()
    assert run.published and "(published)" in run.summary()
    after = state(warehouse)
    assert after != before and after[1] == before[1] + 1
    # The notebook that held the file open saw the old warehouse, whole, throughout.
    assert {(look["last_load"], look["mart_met"]) for look in looks(held_looks)} == {before}
    # Fresh connections saw the old warehouse, then the new one: never anything between.
    seen = [(look["last_load"], look["mart_met"]) for look in looks(fresh_looks)]
    assert set(seen) == {before, after}
    assert seen.index(after) > 0 and set(seen[seen.index(after) :]) == {after}
    assert all(look["consistent"] for look in looks(held_looks) + looks(fresh_looks))


def test_a_run_killed_half_way_leaves_the_published_warehouse_intact(published, tmp_path) -> None:
    returns, warehouse = published
    published_before, state_before = digest(warehouse), state(warehouse)
    build_file = warehouse.with_name("warehouse.build.duckdb")
    built_before = build_file.stat().st_mtime_ns
    correct(returns / PRIORITY_1_Q2, "CYP-012", q2="31")
    run = run_command(tmp_path, returns, warehouse)
    deadline = time.monotonic() + 300
    while build_file.stat().st_mtime_ns == built_before:  # the run has begun writing
        assert run.poll() is None, run.communicate()[0]
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    assert digest(warehouse) == published_before
    assert state(warehouse) == state_before
    # The next run picks up from whatever the killed one left, and publishes.
    again = build(returns, warehouse, quarters=["2024-25-Q2"])
    assert again.published, again.summary()
    assert state(warehouse)[1] == state_before[1] + 1


def test_a_run_that_fails_a_blocking_check_leaves_the_published_warehouse_as_it_was(
    published, tmp_path
) -> None:
    returns, warehouse = published
    published_before = digest(warehouse)
    suites = tmp_path / "expectations"
    shutil.copytree(EXPECTATIONS_DIR, suites)
    suite = json.loads((suites / "fct_indicator_observations.json").read_text())
    suite["expectations"].append(
        {
            "type": "expect_table_row_count_to_equal",
            "kwargs": {"value": 0},
            "meta": {},
            "severity": "critical",
        }
    )
    (suites / "fct_indicator_observations.json").write_text(json.dumps(suite))
    correct(returns / PRIORITY_1_Q2, "CYP-012", q2="31")
    run = run_command(tmp_path, returns, warehouse, "--expectations-dir", str(suites))
    output, _ = run.communicate(timeout=600)
    assert run.returncode == 1, output
    assert "NOT published" in output
    assert digest(warehouse) == published_before
    with duckdb.connect(str(warehouse.with_name("warehouse.build.duckdb")), read_only=True) as b:
        # What arrived is recorded in the build all the same: both versions of the return.
        assert b.sql(
            "select count(*) from raw.return_files where file_path = ?",
            params=[PRIORITY_1_Q2.as_posix()],
        ).fetchall() == [(2,)]


def test_a_second_run_is_refused_while_one_is_building(published, tmp_path) -> None:
    returns, warehouse = published
    published_before = digest(warehouse)
    lock = warehouse.with_name(".warehouse.duckdb.lock")
    first = run_command(tmp_path, returns, warehouse)
    deadline = time.monotonic() + 120
    while not (lock.exists() and _held(lock)):  # the first run has taken the build
        assert first.poll() is None, first.communicate()[0]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # The first run is paused while it holds the build, so it cannot finish before the
    # second has started (a quarter of the sample takes less than starting a run).
    os.kill(first.pid, signal.SIGSTOP)
    try:
        (tmp_path / "second").mkdir()
        second = run_command(tmp_path / "second", returns, warehouse)
        second_output, _ = second.communicate(timeout=120)
    finally:
        os.kill(first.pid, signal.SIGCONT)
    first_output, _ = first.communicate(timeout=600)
    assert second.returncode == 1
    assert f"another run is building {warehouse}" in second_output
    assert first.returncode == 0, first_output
    assert "(published)" in first_output and digest(warehouse) != published_before


def _held(lock: Path) -> bool:
    import fcntl

    with lock.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
