"""A run with nothing new to read, judge or rebuild answers at once, and only then.

The record of the last published run is compared with the next run's inputs
(pipelines/up_to_date.py); these tests change one input at a time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import up_to_date
from pipelines.cli import main
from pipelines.paths import EXPECTATIONS_DIR, PROJECT_ROOT
from pipelines.run import RunOutcome
from pipelines.up_to_date import RunInputs, code_fingerprint
from tests.conftest import indicator_row, return_csv

A_WHILE_AGO_NS = 1_700_000_000 * 10**9


def age(path: Path) -> None:
    """Give a file a modification time well before any record."""
    os.utime(path, ns=(A_WHILE_AGO_NS, A_WHILE_AGO_NS))


@pytest.fixture
def inputs(tmp_path: Path) -> RunInputs:
    """A folder of two returns, a register, suites, and a warehouse 'published' from them."""
    returns = tmp_path / "returns"
    (returns / "2024-25").mkdir(parents=True)
    for name, ref in (("p1.csv", "CYP-006"), ("2024-25/p2.csv", "ASC-004")):
        (returns / name).write_text(return_csv([indicator_row(ref=ref)]))
        age(returns / name)
    register = tmp_path / "expected_returns.csv"
    register.write_text("authority,priority,frequency,from_period\n")
    suites = tmp_path / "expectations"
    shutil.copytree(EXPECTATIONS_DIR, suites)
    (tmp_path / "reports").mkdir()
    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_bytes(b"the published warehouse")
    return RunInputs(returns, warehouse, [], register, suites, tmp_path / "reports")


def published(inputs: RunInputs) -> RunInputs:
    inputs.record_published(inputs.fingerprint(), "run-1")
    return inputs


def test_nothing_changed_since_the_last_published_run_is_said_with_how_to_rebuild(inputs) -> None:
    published(inputs)
    said = inputs.unchanged_since_last_published_run(inputs.fingerprint())
    assert said is not None
    assert said.startswith("Nothing changed since the last published run (run-1, ")
    assert f"{inputs.warehouse} is up to date. Use --force to rebuild it anyway." in said


def test_without_a_record_of_a_published_run_a_run_is_needed(inputs) -> None:
    assert inputs.unchanged_since_last_published_run(inputs.fingerprint()) is None


def test_a_return_saved_again_unchanged_is_no_change(inputs) -> None:
    published(inputs)
    path = inputs.returns_dir / "p1.csv"
    path.write_bytes(path.read_bytes())
    os.utime(path, ns=(A_WHILE_AGO_NS + 10**9, A_WHILE_AGO_NS + 10**9))
    assert inputs.unchanged_since_last_published_run(inputs.fingerprint()) is not None


@pytest.mark.parametrize("change", ["edited", "added", "removed", "renamed"])
def test_a_changed_new_removed_or_renamed_return_needs_a_run(inputs, change) -> None:
    published(inputs)
    path = inputs.returns_dir / "p1.csv"
    if change == "edited":  # one figure, the same size, so only the content tells
        path.write_text(path.read_text().replace("124.9", "124.8"))
    elif change == "added":
        (inputs.returns_dir / "p3.csv").write_text(return_csv([indicator_row(ref="NEW-001")]))
    elif change == "removed":
        path.unlink()
    else:
        path.rename(inputs.returns_dir / "p1-corrected.csv")
    assert inputs.unchanged_since_last_published_run(inputs.fingerprint()) is None


def test_a_change_in_the_same_clock_tick_as_the_record_is_still_seen(inputs) -> None:
    path = inputs.returns_dir / "p1.csv"
    path.write_text(path.read_text())  # modified just now, as the run starts
    published(inputs)
    stat = path.stat()
    path.write_text(path.read_text().replace("124.9", "124.8"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # a clock too coarse to tell
    assert inputs.unchanged_since_last_published_run(inputs.fingerprint()) is None


def test_a_changed_register_or_suite_needs_a_run(inputs) -> None:
    published(inputs)
    inputs.expected_returns.write_text("authority,priority,frequency,from_period\nX,1,Annual,\n")
    assert inputs.unchanged_since_last_published_run(inputs.fingerprint()) is None
    published(inputs)
    suite = inputs.expectations_dir / "mart_priority_trend_by_judgement.json"
    suite.write_text(suite.read_text().replace('"critical"', '"warning"', 1))
    assert inputs.unchanged_since_last_published_run(inputs.fingerprint()) is None


def test_other_quarters_or_folders_need_a_run(inputs) -> None:
    published(inputs)
    for other in (
        RunInputs(**(vars(inputs) | {"quarters": ["2024-25-Q2"]})),
        RunInputs(**(vars(inputs) | {"reports_dir": inputs.reports_dir / "elsewhere"})),
    ):
        assert other.unchanged_since_last_published_run(other.fingerprint()) is None


def test_a_warehouse_replaced_or_deleted_since_it_was_published_needs_a_run(inputs) -> None:
    published(inputs)
    inputs.warehouse.write_bytes(b"another warehouse, copied in by hand")
    assert inputs.unchanged_since_last_published_run(inputs.fingerprint()) is None
    inputs.warehouse.unlink()
    assert inputs.unchanged_since_last_published_run(inputs.fingerprint()) is None


def test_any_change_to_the_sql_schemas_or_code_changes_the_code_fingerprint(tmp_path) -> None:
    root = tmp_path / "project"
    for folder in up_to_date.CODE_FOLDERS:
        shutil.copytree(PROJECT_ROOT / folder, root / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    before = code_fingerprint(root)
    for changed in ("sql/macros/rules.sql", "schemas/cells.py", "assets/return_gate.py"):
        (root / changed).write_text((root / changed).read_text() + "\n")
        after = code_fingerprint(root)
        assert after != before, changed
        before = after


def test_a_changed_code_fingerprint_needs_a_run(inputs, monkeypatch) -> None:
    published(inputs)
    monkeypatch.setattr(up_to_date, "code_fingerprint", lambda: "another version of the code")
    assert inputs.unchanged_since_last_published_run(inputs.fingerprint()) is None


def test_the_command_line_runs_once_then_answers_until_forced(
    inputs, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    runs = []

    def run_pipeline(returns_dir: Path, warehouse: Path, **_: object) -> RunOutcome:
        runs.append(warehouse)
        warehouse.write_bytes(b"published by run %d" % len(runs))
        return RunOutcome(True, returns_dir, warehouse, warehouse, f"run-{len(runs)}",
                          published=True)  # fmt: skip

    monkeypatch.setattr("pipelines.run.run_pipeline", run_pipeline)
    command = ["run", "--returns-dir", str(inputs.returns_dir), "--warehouse",
               str(inputs.warehouse), "--expected-returns", str(inputs.expected_returns),
               "--expectations-dir", str(inputs.expectations_dir),
               "--reports-dir", str(inputs.reports_dir)]  # fmt: skip
    assert main(command) == 0
    assert main(command) == 0
    assert "Nothing changed since the last published run (run-1, " in capsys.readouterr().out
    assert main([*command, "--force"]) == 0
    assert len(runs) == 2
    assert main(command) == 0
    assert "(run-2, " in capsys.readouterr().out
    assert len(runs) == 2


def test_an_up_to_date_answer_imports_no_dagster(inputs, tmp_path) -> None:
    published(inputs)
    program = (
        "import sys; from pipelines.cli import main; code = main(sys.argv[1:]); "
        "print('dagster imported' if 'dagster' in sys.modules else 'no dagster'); sys.exit(code)"
    )
    finished = subprocess.run(
        [sys.executable, "-c", program, "run", "--returns-dir", str(inputs.returns_dir),
         "--warehouse", str(inputs.warehouse), "--expected-returns", str(inputs.expected_returns),
         "--expectations-dir", str(inputs.expectations_dir),
         "--reports-dir", str(inputs.reports_dir)],
        cwd=PROJECT_ROOT, env=os.environ | {"DAGSTER_HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.splitlines()[-1] == "no dagster"
    assert "Nothing changed" in finished.stdout
