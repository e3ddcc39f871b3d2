"""A quarter the pipeline was not built on: St Helens 2020-21 Q3 (seed 002),
transcribed into tests/fixtures/ as its services would have typed it.

The report prints only counts, per priority: on target, off target, within 5%
and data gaps; improved, worse and the same; quartiles in its prose. Where the
report follows its own rules, the marts give its numbers exactly; where they
differ, the test shows the report's own cause in the rows.
"""

from __future__ import annotations

import duckdb
import pytest

from pipelines.paths import PROJECT_ROOT
from tests.conftest import build

RETURNS = PROJECT_ROOT / "tests" / "fixtures" / "st-helens-2020-21-q3"
PERIOD = "2020-21 Q3"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    outcome = build(RETURNS, tmp_path_factory.mktemp("unseen") / "warehouse.duckdb")
    assert outcome.published, outcome.summary()
    with duckdb.connect(str(outcome.warehouse), read_only=True) as connection:
        yield connection


def mart(warehouse, name: str, columns: str) -> dict:
    rows = warehouse.sql(
        f"select priority, {columns} from marts.{name} where reporting_period = ?",
        params=[PERIOD],
    ).fetchall()
    return {priority: tuple(counts) for priority, *counts in rows}


def test_performance_matches_the_report_for_priorities_that_follow_its_rules(warehouse) -> None:
    counted = mart(
        warehouse, "mart_priority_performance", "n_met, n_not_met, n_within, n_data_gaps"
    )
    # Printed (lines 341-346, 483-488): on target, off target, within 5%, data gaps.
    assert counted[2] == (8, 1, 3, 1)
    assert counted[4] == (9, 3, 0, 0)


def test_priority_1s_difference_is_four_variances_printed_without_a_target(warehouse) -> None:
    # The report counts 18 (6 on, 11 off, 1 within); four of its rows print a
    # variance but no target, so the rules can give them no status.
    rows = warehouse.sql(
        "select ref, reported_variance_text from marts.fct_indicator_observations "
        "where period_key = ? and priority_number = 1 and in_return_for_period "
        "and annual_target is null order by ref",
        params=[PERIOD],
    ).fetchall()
    assert rows == [("PH-04", "-20.00%"), ("PH-05", "-6.55%"), ("PH-15", "-11.35%"),
                    ("PH-22", "17.23%")]  # fmt: skip
    counted = mart(warehouse, "mart_priority_performance", "n_with_data")
    assert counted[1] == (18 - 4,)


def test_trend_matches_the_report_where_it_prints_its_arrows(warehouse) -> None:
    counted = mart(warehouse, "mart_priority_trend", "n_with_data, n_improved, n_worse, n_same")
    # Printed (lines 228-233, 341-346, 418-423, 607-612).
    assert counted[1] == (18, 15, 3, 0)
    assert counted[2] == (12, 7, 4, 1)
    assert counted[3] == (4, 2, 2, 0)
    assert counted[6] == (4, 1, 3, 0)


def test_priority_4s_arrows_contradict_its_own_summary(warehouse) -> None:
    # The summary says 0 improved, 11 worse, 1 the same; every arrow its scorecard
    # prints is sideways.
    arrows = warehouse.sql(
        "select distinct reported_trend_text from marts.fct_indicator_observations "
        "where period_key = ? and priority_number = 4 and in_return_for_period",
        params=[PERIOD],
    ).fetchall()
    assert arrows == [("\u2194",)]
    assert mart(warehouse, "mart_priority_trend", "n_same")[4] == (12,)


def test_quartiles_match_what_the_reports_prose_says(warehouse) -> None:
    counted = mart(warehouse, "mart_quartile_distribution", "n_q1, n_q2, n_q3, n_q4")
    # Line 239: nine indicators in the 4th quartile and six in the 3rd.
    assert counted[1][2:] == (6, 9)
    # Line 427: the one indicator compared is in the 4th quartile.
    assert counted[3] == (0, 0, 0, 1)


def test_the_reports_extra_direction_of_travel_column_is_kept(warehouse) -> None:
    (extra,) = warehouse.sql(
        "select extra_columns from raw.returns where ref = 'G&P-01'"
    ).fetchall()[0]
    assert '"reported_direction_of_travel": "\u2193"' in extra
