"""Milestone returns (Halton's form): read beside indicator returns, gated, counted, watched.

The sample is Halton's 2024-25 Q2 children's services milestones, transcribed
from its monitoring report; the crafted returns are two quarters of a made-up
authority, with a slip, a dropped milestone and rows the gate must refuse.
"""

from __future__ import annotations

import duckdb
import pytest

from pipelines.run import RunOutcome
from tests.conftest import build, return_csv

MILESTONE_HEADER = [
    "authority",
    "reporting_period",
    "department",
    "objective_ref",
    "objective",
    "milestone_ref",
    "milestone",
    "progress",
    "commentary",
]


def milestone(ref: str, progress: str, period: str, department: str = "Early Help") -> dict:
    return {
        "authority": "Testshire",
        "reporting_period": period,
        "department": department,
        "objective_ref": f"CYP {ref.split('.')[0]}",
        "objective": "Safely reduce the number of children needing to be looked after",
        "milestone_ref": ref,
        "milestone": f"Milestone {ref}",
        "progress": progress,
        "commentary": f"Commentary on {ref}, in {period}.",
    }


Q1 = "2024-25 Q1"
Q2 = "2024-25 Q2"


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    returns = tmp_path_factory.mktemp("returns")
    (returns / "q1").mkdir()
    (returns / "q2").mkdir()
    (returns / "q1" / "milestones.csv").write_text(
        return_csv(
            [
                milestone("P1.1", "✓", Q1),
                milestone("P1.2", "?", Q1),
                milestone("P1.3", "on course", Q1),
                milestone("P2.1", "green", Q1, department="Education"),
            ],
            MILESTONE_HEADER,
        ),
        encoding="utf-8",
    )
    (returns / "q2" / "milestones.csv").write_text(
        return_csv(
            [
                milestone("P1.1", "✗", Q2),  # row 2: on course to not achieved, a slip
                milestone("P1.2", "x", Q2),  # row 3: uncertain to not achieved, no slip
                # P1.3 is dropped
                milestone("P2.1", "", Q2, department="Education"),  # row 4: no progress
                milestone("P2.2", "maybe", Q2, department="Education"),  # row 5: refused
                milestone("P2.3", "?", Q2, department="Education"),  # rows 6, 7: twice
                milestone("P2.3", "✓", Q2, department="Education"),
                milestone("P2.4", "amber", Q2, department="Education") | {"milestone": " "},
            ],
            MILESTONE_HEADER,
        ),
        encoding="utf-8",
    )
    outcome = build(returns, tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb")
    assert outcome.succeeded, outcome.summary()
    return outcome


@pytest.fixture
def warehouse(crafted: RunOutcome):
    with duckdb.connect(str(crafted.warehouse), read_only=True) as connection:
        yield connection


def test_a_milestone_return_is_told_apart_by_its_columns(warehouse) -> None:
    kinds = warehouse.sql("select distinct return_kind from raw.return_files").fetchall()
    assert kinds == [("milestone",)]
    (indicators,) = warehouse.sql("select count(*) from validated.indicator_returns").fetchall()[0]
    assert indicators == 0


def test_every_milestone_row_is_loaded_or_quarantined_with_its_reason(crafted, warehouse):
    assert crafted.counts["rows_read"] == 11
    assert (
        crafted.counts["rows_read"]
        == crafted.counts["rows_valid"] + crafted.counts["rows_rejected"]
    )
    rejected = warehouse.sql(
        "select file_path, row_number, column_name, value, reason "
        "from quarantine.rejected_rows order by row_number"
    ).fetchall()
    assert [r[:4] for r in rejected] == [
        ("q2/milestones.csv", 5, "progress", "maybe"),
        ("q2/milestones.csv", 6, "milestone_ref", "P2.3"),
        ("q2/milestones.csv", 7, "milestone_ref", "P2.3"),
        ("q2/milestones.csv", 8, "milestone", None),
    ]
    assert rejected[0][4].startswith("progress is not a progress symbol: expected on course")
    assert rejected[3][4].startswith("milestone is blank")


def test_progress_is_read_from_symbols_and_words(warehouse) -> None:
    rows = warehouse.sql(
        "select reporting_period, milestone_ref, progress, progress_text, previous_progress "
        "from marts.fct_milestone_progress order by reporting_period, milestone_ref"
    ).fetchall()
    assert rows == [
        (Q1, "P1.1", "on course", "✓", None),
        (Q1, "P1.2", "uncertain", "?", None),
        (Q1, "P1.3", "on course", "on course", None),
        (Q1, "P2.1", "on course", "green", None),
        (Q2, "P1.1", "not achieved", "✗", "on course"),
        (Q2, "P1.2", "not achieved", "x", "uncertain"),
        (Q2, "P2.1", None, None, "on course"),
    ]


def test_objective_progress_counts_each_objective_department_and_the_total(warehouse):
    rows = warehouse.sql(
        "select summary_level, department, objective_ref, n_milestones, n_with_progress, "
        "n_on_course, pct_on_course, n_uncertain, pct_uncertain, n_not_achieved, "
        "pct_not_achieved, n_no_progress from marts.mart_objective_progress "
        "where reporting_period = ? order by summary_level, department, objective_ref",
        params=[Q2],
    ).fetchall()
    # Q2 holds P1.1 and P1.2 (Early Help, CYP P1), both not achieved, and P2.1
    # (Education, CYP P2) with no progress: per cents are of those with progress.
    assert rows == [
        ("department", "Early Help", None, 2, 2, 0, 0.0, 0, 0.0, 2, 100.0, 0),
        ("department", "Education", None, 1, 0, 0, None, 0, None, 0, None, 1),
        ("objective", "Early Help", "CYP P1", 2, 2, 0, 0.0, 0, 0.0, 2, 100.0, 0),
        ("objective", "Education", "CYP P2", 1, 0, 0, None, 0, None, 0, None, 1),
        ("total", None, None, 3, 2, 0, 0.0, 0, 0.0, 2, 100.0, 1),
    ]
    (q1_on_course,) = warehouse.sql(
        "select pct_on_course from marts.mart_objective_progress "
        "where reporting_period = ? and summary_level = 'total'",
        params=[Q1],
    ).fetchall()[0]
    assert q1_on_course == pytest.approx(75.0)  # 3 of the 4 on course


def test_a_slip_from_on_course_and_a_dropped_milestone_are_flagged(warehouse) -> None:
    flags = warehouse.sql(
        "select reporting_period, ref, check_name, source_file_path, source_row_number "
        "from quality.dq_flags where check_name like 'milestone%' order by ref"
    ).fetchall()
    assert flags == [
        (Q2, "P1.1", "milestone_slipped", "q2/milestones.csv", 2),
        (Q2, "P1.3", "milestone_dropped", "q1/milestones.csv", 4),
    ]


def test_halton_sample_milestones_keep_their_commentary_whole(sample_warehouse) -> None:
    rows = sample_warehouse.sql(
        "select milestone_ref, progress, commentary from marts.fct_milestone_progress "
        "where authority = 'Halton' and reporting_period = '2024-25 Q2' order by milestone_ref"
    ).fetchall()
    assert len(rows) == 51
    by_ref = {ref: (progress, commentary) for ref, progress, commentary in rows}
    # The seed's symbols were lost in its text: progress is left blank, not guessed.
    assert all(progress is None for progress, _ in by_ref.values())
    _, commentary = by_ref["P1.1"]
    assert commentary.startswith("Attendances in the hub overall in the last 6 months")
    assert commentary.endswith("are being taken up.")
    (total, gaps) = sample_warehouse.sql(
        "select n_milestones, n_no_progress from marts.mart_objective_progress "
        "where authority = 'Halton' and summary_level = 'total'"
    ).fetchall()[0]
    assert (total, gaps) == (51, 51)
