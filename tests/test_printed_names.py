"""File names are printed so that they cannot pass for the program's own words: a line
break in a name cannot forge a line of the summary, an escape sequence never reaches
the terminal."""

from __future__ import annotations

import fcntl
from pathlib import Path

from dagster import DagsterInstance

from pipelines.printable import escaped, quoted_name
from pipelines.run import RunOutcome, run_pipeline
from tests.conftest import build

FORGED = "late\nWarehouse: elsewhere.duckdb (published)\n.csv"
CLEARS_THE_SCREEN = "\x1b[2J\x1b[Hclean.csv"


def test_a_name_that_prints_as_it_is_is_left_alone() -> None:
    assert quoted_name("st-helens/Q2/Priority 1 (Ruairí's).csv") == (
        "st-helens/Q2/Priority 1 (Ruairí's).csv"
    )


def test_a_name_with_characters_that_do_not_print_is_escaped_and_quoted() -> None:
    assert quoted_name(FORGED) == '"late\\nWarehouse: elsewhere.duckdb (published)\\n.csv"'
    assert quoted_name(CLEARS_THE_SCREEN) == '"\\x1b[2J\\x1b[Hclean.csv"'
    assert quoted_name("evil\u202egnp.csv") == '"evil\\u202egnp.csv"'
    assert quoted_name(" padded.csv") == '" padded.csv"'
    assert escaped("a reason\nover two lines") == "a reason\\nover two lines"


def test_a_forged_file_name_cannot_add_a_line_to_the_summary(tmp_path: Path) -> None:
    returns = tmp_path / "returns"
    returns.mkdir()
    (returns / FORGED).write_bytes(b"")
    (returns / CLEARS_THE_SCREEN).write_bytes(b"")
    outcome = build(returns, tmp_path / "warehouse.duckdb")
    summary = outcome.summary()
    assert "\x1b" not in summary
    assert [line for line in summary.splitlines() if line.startswith("Warehouse: ")] == [
        f"Warehouse: {tmp_path / 'warehouse.duckdb'} (published)"
    ]
    assert f"  rejected file {quoted_name(FORGED)}: the file is empty" in summary.splitlines()
    assert f"  rejected file {quoted_name(CLEARS_THE_SCREEN)}: the file is empty" in summary


def test_a_run_refused_for_another_does_not_point_at_the_others_build(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    returns = tmp_path / "returns"
    returns.mkdir()
    # Another process's run holds the warehouse's build.
    with (tmp_path / ".warehouse.duckdb.lock").open("a+") as other_run:
        fcntl.flock(other_run, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with DagsterInstance.ephemeral() as instance:
            outcome: RunOutcome = run_pipeline(
                returns, warehouse, reports_dir=tmp_path / "reports", instance=instance
            )
    assert not outcome.succeeded and not outcome.started
    summary = outcome.summary()
    assert summary.splitlines()[0] == (
        f"Run not started: another run is building {warehouse} (it holds "
        f"{tmp_path / '.warehouse.duckdb.lock'}): try again when it has finished."
    )
    assert "warehouse.build.duckdb" not in summary
