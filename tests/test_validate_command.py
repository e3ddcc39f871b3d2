"""`python -m pipelines validate`: a service lead gets the run's own judgement of a return
before sending it, in the run's own words, and the warehouse is never written."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.cli import main
from pipelines.paths import DEFAULT_EXPECTED_RETURNS, DEFAULT_RETURNS_DIR, PROJECT_ROOT
from pipelines.readers.return_files import discover_returns
from pipelines.return_queries import MUST_EXPLAIN, QUERY_SCHEMA
from pipelines.run import RunOutcome
from pipelines.validate import Validation, describe, validate_returns
from tests.conftest import build, indicator_row, return_csv

SLIP_FILE = "testshire/2024-25-q2.csv"
# 132.2 against a quarterly target of 125 (lower is better) is -5.76%, not the -2% printed.
SLIP_ROW = indicator_row(ref="CYP-007", target_q2="125", q2="132.2", reported_variance="-2%")
BAD_TARGET_ROW = indicator_row(ref="CYP-008", target="seventy")
FINDING_COLUMNS = "source_row_number, check_name, observed, expected, message"


@pytest.fixture(scope="module")
def slip_run(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    """A run on one return holding a good row, a bad target and a printed-variance slip."""
    folder = tmp_path_factory.mktemp("slip-returns")
    (folder / "testshire").mkdir()
    (folder / SLIP_FILE).write_text(return_csv([indicator_row(), BAD_TARGET_ROW, SLIP_ROW]))
    outcome = build(folder, tmp_path_factory.mktemp("slip-warehouse") / "warehouse.duckdb")
    assert outcome.succeeded, outcome.summary()
    return outcome


def validate_command(tmp_path: Path, capsys, monkeypatch, *arguments: str) -> tuple[int, str]:
    """`python -m pipelines validate ...` in this process: its exit status and what it printed."""
    for name in ("DAGSTER_HOME", "DAGSTER_STORAGE_DIR", "DAGSTER_COMPUTE_LOGS_DIR"):
        monkeypatch.setenv(name, str(tmp_path / "dagster"))
    status = main(["validate", *arguments])
    return status, capsys.readouterr().out


def run_findings(warehouse: Path, file_path: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.sql(
            f"select {FINDING_COLUMNS} from quality.dq_flags where source_file_path = ? "
            "order by all",
            params=[file_path],
        ).fetchall()


def validated_findings(validation: Validation) -> list[tuple]:
    explain = validation.must_explain.select(
        "row_number", "check_name", "value", "expected", "message"
    )
    return sorted(explain.iter_rows())


def test_a_clean_sample_return_validates_with_exit_status_0(tmp_path: Path) -> None:
    environment = os.environ | {"DAGSTER_HOME": str(tmp_path)}
    finished = subprocess.run(
        [sys.executable, "-m", "pipelines", "validate",
         str(DEFAULT_RETURNS_DIR / "st-helens" / "2024-25" / "Q2" / "priority-4.csv"),
         "--warehouse", str(tmp_path / "no-warehouse-yet.duckdb")],
        cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "(as st-helens/2024-25/Q2/priority-4.csv): accepted" in finished.stdout
    assert "Must be fixed: 0" in finished.stdout
    assert "Must be explained: 0" in finished.stdout


def test_a_bad_target_must_be_fixed_naming_row_column_value_and_the_runs_reason(
    slip_run: RunOutcome, tmp_path: Path, capsys, monkeypatch
) -> None:
    status, printed = validate_command(
        tmp_path, capsys, monkeypatch, str(slip_run.returns_dir / SLIP_FILE),
        "--returns-dir", str(slip_run.returns_dir), "--warehouse", str(tmp_path / "none.duckdb"),
    )  # fmt: skip
    with duckdb.connect(str(slip_run.warehouse), read_only=True) as connection:
        [(row, column, value, reason)] = connection.sql(
            "select row_number, column_name, value, reason from quarantine.rejected_rows"
        ).fetchall()
    assert status == 1
    assert (row, column, value) == (3, "target", "seventy")
    assert "REFUSED" in printed and "Must be fixed: 1" in printed
    assert f"    row 3, ref CYP-008, column target: value 'seventy'\n      {reason}\n" in printed


def test_a_printed_variance_slip_is_to_explain_in_the_words_of_the_runs_finding(
    slip_run: RunOutcome, tmp_path: Path
) -> None:
    validation = validate_returns(
        [slip_run.returns_dir / SLIP_FILE],
        returns_dir=slip_run.returns_dir,
        warehouse=tmp_path / "none.duckdb",
        expected_returns=DEFAULT_EXPECTED_RETURNS,
    )
    findings = validated_findings(validation)
    assert findings == run_findings(slip_run.warehouse, SLIP_FILE)
    assert [f[:4] for f in findings] == [(4, "reported_variance_mismatch", "-2%", "-5.76%")]


def test_with_a_warehouse_a_return_is_judged_against_its_history_as_the_run_judged_it(
    sample_run: RunOutcome, tmp_path: Path
) -> None:
    q4_return = "st-helens/2021-22/Q4/priority-1.csv"

    def validate(warehouse: Path) -> Validation:
        return validate_returns(
            [DEFAULT_RETURNS_DIR / q4_return],
            returns_dir=DEFAULT_RETURNS_DIR,
            warehouse=warehouse,
            expected_returns=DEFAULT_EXPECTED_RETURNS,
        )

    with_history = validated_findings(validate(sample_run.warehouse))
    on_its_own = validated_findings(validate(tmp_path / "none.duckdb"))
    assert with_history == run_findings(sample_run.warehouse, q4_return)
    # A target is judged changed against the Q2 return of the same year, in the warehouse.
    assert "target_changed_in_year" in {f[1] for f in with_history}
    assert "target_changed_in_year" not in {f[1] for f in on_its_own}


def test_validate_writes_nothing_to_the_warehouse(
    slip_run: RunOutcome, tmp_path: Path, capsys, monkeypatch
) -> None:
    warehouse = slip_run.warehouse
    folder_before = sorted(warehouse.parent.iterdir())
    bytes_before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    modified_before = warehouse.stat().st_mtime_ns
    status, printed = validate_command(
        tmp_path, capsys, monkeypatch, str(slip_run.returns_dir / SLIP_FILE),
        "--returns-dir", str(slip_run.returns_dir), "--warehouse", str(warehouse),
    )  # fmt: skip
    assert status == 1 and f"against the history in {warehouse}" in printed
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == bytes_before
    assert warehouse.stat().st_mtime_ns == modified_before
    assert sorted(warehouse.parent.iterdir()) == folder_before


def test_a_file_that_does_not_exist_is_one_sentence_not_a_trace(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    with pytest.raises(SystemExit) as exit_:
        validate_command(tmp_path, capsys, monkeypatch, str(tmp_path / "missing.csv"))
    assert exit_.value.code == 2
    assert f"there is no file {tmp_path / 'missing.csv'}" in capsys.readouterr().err


def test_what_a_service_typed_cannot_drive_the_terminal() -> None:
    hostile = "\x1b[2J\u202egnirts"
    queries = pl.DataFrame(
        [{"file_path": "p\x1b[1m.csv", "must": MUST_EXPLAIN, "kind": "INFO", "row_number": 2,
          "check_name": "unreadable_reported_trend", "value": hostile,
          "message": f"the cell reads '{hostile}'"}],
        schema=QUERY_SCHEMA,
    )  # fmt: skip
    printed = describe(Validation(files=[(Path("p\x1b[1m.csv"), "p\x1b[1m.csv")], queries=queries,
                                  with_history=None))  # fmt: skip
    assert "\x1b" not in printed and "\u202e" not in printed
    assert "p\\u001b[1m.csv: accepted" in printed
    assert "the cell reads '\\u001b[2J\\u202egnirts'" in printed


def test_a_copy_said_to_replace_a_return_is_judged_as_its_new_version(
    sample_run: RunOutcome, tmp_path: Path
) -> None:
    sent_again = "st-helens/2024-25/Q2/priority-3.csv"
    copy = tmp_path / "my corrected return.csv"
    copy.write_bytes((DEFAULT_RETURNS_DIR / sent_again).read_bytes())
    validation = validate_returns(
        [copy],
        returns_dir=DEFAULT_RETURNS_DIR,
        warehouse=sample_run.warehouse,
        expected_returns=DEFAULT_EXPECTED_RETURNS,
        replacing=sent_again,
    )
    # Not a second return of the same refs: the same findings as the run's on the file.
    assert validated_findings(validation) == run_findings(sample_run.warehouse, sent_again)


def test_a_refused_milestone_row_is_named_by_its_milestone_ref(tmp_path: Path) -> None:
    milestones = tmp_path / "milestones.csv"
    milestones.write_text(
        "authority,reporting_period,objective_ref,milestone_ref,milestone,progress\n"
        "Halton,2024-25 Q2,CYP P1,P1.1,Open the family hub,maybe\n"
    )
    validation = validate_returns(
        [milestones],
        returns_dir=DEFAULT_RETURNS_DIR,
        warehouse=tmp_path / "none.duckdb",
        expected_returns=DEFAULT_EXPECTED_RETURNS,
    )
    refused = validation.must_fix.select("row_number", "ref", "column_name", "value")
    assert refused.rows() == [(2, "P1.1", "progress", "maybe")]


def test_a_folder_is_validated_return_by_return_as_a_run_finds_them(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    folder = DEFAULT_RETURNS_DIR / "st-helens" / "2024-25" / "Q2"
    status, printed = validate_command(
        tmp_path, capsys, monkeypatch, str(folder), "--warehouse", str(tmp_path / "none.duckdb")
    )
    judged = [line.split(" (as ")[0] for line in printed.splitlines() if " (as " in line]
    assert judged == [str(path) for path in discover_returns(folder)]
    assert len(judged) == 7
    # Findings to explain, nothing the run would refuse.
    assert status == 0 and "Must be fixed: 0" in printed and "Must be explained: 6" in printed
