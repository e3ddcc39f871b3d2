"""marts.fct_indicator_observations: one row per authority, indicator and period, judged."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.run import RunOutcome
from tests.conftest import build, indicator_row, return_csv


def fact(warehouse, ref: str, period: str, columns: str) -> tuple:
    rows = warehouse.sql(
        f"select {columns} from marts.fct_indicator_observations "
        "where authority = 'St Helens' and ref = ? and period_key = ?",
        params=[ref, period],
    ).fetchall()
    assert len(rows) == 1, (ref, period, rows)
    return rows[0]


def test_one_row_per_authority_indicator_and_period(sample_warehouse) -> None:
    (rows, keys) = sample_warehouse.sql(
        "select count(*), count(distinct row(authority, ref, period_key)) "
        "from marts.fct_indicator_observations"
    ).fetchall()[0]
    assert rows == keys > 0


def test_every_quarter_any_return_reports_has_a_row_not_only_the_reporting_period(
    sample_warehouse,
) -> None:
    periods = sample_warehouse.sql(
        "select period_key from marts.fct_indicator_observations "
        "where ref = 'CYP-01' order by period_end"
    ).fetchall()
    # The 2021-22 outturn return reports Q1, Q2, Q3, the outturn, and 2020-21's outturn.
    assert [p for (p,) in periods] == [
        "2020-21 Q4",
        "2021-22 Q1",
        "2021-22 Q2",
        "2021-22 Q3",
        "2021-22 Q4",
    ]


def test_a_later_return_revising_a_quarter_wins_and_says_so(sample_warehouse) -> None:
    # CYP-23's Q2 was 17.5 in the 2021-22 Q2 report and 17.2 in the outturn report.
    assert fact(
        sample_warehouse, "CYP-23", "2021-22 Q2", "value, source_reporting_period, source_file_path"
    ) == (
        17.2,
        "2021-22 Q4",
        "st-helens/2021-22/Q4/priority-1.csv",
    )


def test_a_later_dash_does_not_erase_a_reported_value(sample_warehouse) -> None:
    # PH-04's Q1 was 27.8 in the Q2 report; the outturn report prints '-' there.
    assert fact(sample_warehouse, "PH-04", "2021-22 Q1", "value, source_reporting_period") == (
        27.8,
        "2021-22 Q2",
    )


def test_a_lagged_indicator_is_judged_on_its_last_value_and_marked_lagged(sample_warehouse) -> None:
    # CYP-013 (2024-25 Q2): Q2 'To be reported in Q3', Q1 41, cumulative, 155 a year.
    row = fact(
        sample_warehouse,
        "CYP-013",
        "2024-25 Q2",
        "value, value_note, value_as_at, value_as_at_period_key, is_lagged, period_target, "
        "performance_status",
    )
    assert row == (None, "To be reported in Q3", 41.0, "2024-25 Q1", True, 38.75, "not met")


def test_the_outturn_stands_for_q4_and_last_years_outturn_for_its_q4(sample_warehouse) -> None:
    assert fact(sample_warehouse, "CYP-01", "2021-22 Q4", "value, source_cell") == (17.0, "outturn")
    assert fact(sample_warehouse, "CYP-01", "2020-21 Q4", "value, source_cell, annual_target") == (
        19.0,
        "previous_outturn",
        None,
    )


def test_trend_at_the_outturn_is_computed_from_the_warehouses_own_history(sample_warehouse) -> None:
    # CYP-01, lower is better: 17 at 2021-22 outturn against 19 a year earlier; printed ↑.
    assert fact(
        sample_warehouse,
        "CYP-01",
        "2021-22 Q4",
        "value_year_earlier, trend, trend_basis, trend_is_computed, reported_trend",
    ) == (19.0, "improved", "warehouse history", True, "improved")


def test_a_stated_profiled_target_judges_its_quarter(sample_warehouse) -> None:
    # PH-14 (2021-22): Q3 13.7 "better than the target of 14.8%": (14.8 - 13.7) / 14.8.
    variance, target = fact(sample_warehouse, "PH-14", "2021-22 Q3", "variance_pct, period_target")
    assert (target, variance) == (14.8, pytest.approx(7.43, abs=0.005))


def test_direction_of_travel_compares_with_the_previous_quarter(sample_warehouse) -> None:
    # CYP-06 (2021-22): -20.76% at Q2, -11.05% at Q3.
    assert fact(sample_warehouse, "CYP-06", "2021-22 Q3", "direction_of_travel") == ("improving",)


def test_lineage_names_the_file_row_and_hash(sample_warehouse) -> None:
    path, sheet, row, digest = fact(
        sample_warehouse,
        "ASC-019",
        "2024-25 Q2",
        "source_file_path, source_sheet, source_row_number, source_file_hash",
    )
    assert (path, sheet) == ("st-helens/2024-25/Q2/priority-2.xlsx", "Return")
    assert row > 4 and len(digest) == 64


MONTHLY_HEADER = [
    "authority",
    "reporting_period",
    "priority",
    "ref",
    "indicator",
    "polarity",
    "measure_type",
    "target",
    "q1",
    "q2",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "same_period_last_year",
    "reported_trend",
    "comparative_quartile",
]


@pytest.fixture(scope="module")
def crafted_run(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    folder: Path = tmp_path_factory.mktemp("returns")
    this_year = [
        # Monthly figures, quarter columns left blank.
        indicator_row(
            ref="MON-001",
            polarity="Higher",
            target="100",
            q1="",
            q2="",
            apr="90",
            may="95",
            jun="97",
            jul="99",
            aug="",
            sep="104",
        ),
        # No number all year: a data gap, whatever the cells say.
        indicator_row(
            ref="GAP-001",
            q1="Data collection currently suspended by NHS",
            q2="CCG currently unable to provide data",
            comparative_quartile="2nd Quartile",
        ),
        indicator_row(ref="SPL-001", same_period_last_year="130", reported_trend="↓"),
        indicator_row(ref="HIS-001", same_period_last_year="100", reported_trend="↓"),
        indicator_row(ref="NTG-001", target=""),
    ]
    this_year.append(
        indicator_row(ref="LAG-001", polarity="Higher", target="12", q1="15",
                      q2="To be reported in Q3")
    )  # fmt: skip
    last_year = [
        indicator_row(ref="HIS-001", reporting_period="2023-24 Q2", q2="120"),
        indicator_row(ref="LAG-001", reporting_period="2023-24 Q2", polarity="Higher",
                      target="12", q1="10", q2="20"),
    ]  # fmt: skip
    (folder / "this-year.csv").write_text(return_csv(this_year, MONTHLY_HEADER))
    (folder / "last-year.csv").write_text(return_csv(last_year, MONTHLY_HEADER))
    outcome = build(folder, tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb")
    assert outcome.succeeded, outcome.summary()
    return outcome


@pytest.fixture
def crafted(crafted_run: RunOutcome):
    import duckdb

    with duckdb.connect(str(crafted_run.warehouse), read_only=True) as connection:
        yield connection


def crafted_fact(warehouse, ref: str, period: str, columns: str) -> tuple:
    (row,) = warehouse.sql(
        f"select {columns} from marts.fct_indicator_observations where ref = ? and period_key = ?",
        params=[ref, period],
    ).fetchall()
    return row


def test_a_quarter_takes_its_last_months_value_where_the_quarter_is_blank(crafted) -> None:
    assert crafted_fact(crafted, "MON-001", "2024-25 Q1", "value, source_cell") == (97.0, "jun")
    assert crafted_fact(crafted, "MON-001", "2024-25 Q2", "value, source_cell") == (104.0, "sep")
    months = crafted.sql(
        "select period_key, value_as_at, is_lagged from marts.fct_indicator_observations "
        "where ref = 'MON-001' and period_type = 'month' order by period_end"
    ).fetchall()
    # August was left blank: no row of its own, September stands on its own value.
    assert months == [
        ("2024-04", 90.0, False),
        ("2024-05", 95.0, False),
        ("2024-06", 97.0, False),
        ("2024-07", 99.0, False),
        ("2024-09", 104.0, False),
    ]


def test_text_in_every_cell_of_the_year_is_a_data_gap_with_its_note_kept(crafted) -> None:
    assert crafted_fact(crafted, "GAP-001", "2024-25 Q2", "value_note, performance_status") == (
        "CCG currently unable to provide data",
        None,
    )
    gaps, with_data = crafted.sql(
        "select n_data_gaps, n_with_data from marts.mart_priority_performance "
        "where reporting_period = '2024-25 Q2' and priority is null"
    ).fetchall()[0]
    # MON, SPL, HIS and LAG have a value and a target; NTG has no target; GAP has no value.
    assert (gaps, with_data) == (1, 4)


def test_a_quartile_counts_whether_or_not_there_is_a_value(crafted) -> None:
    row = crafted.sql(
        "select n_with_data, n_q2 from marts.mart_quartile_distribution "
        "where reporting_period = '2024-25 Q2' and priority is null"
    ).fetchall()[0]
    assert row == (1, 1)


def test_trend_uses_history_first_then_same_period_last_year_then_the_printed_arrow(
    crafted,
) -> None:
    # Lower is better. HIS-001 was 120 at 2023-24 Q2 in the warehouse: 124.9 is worse,
    # and the return's own same_period_last_year of 100 is not needed.
    assert crafted_fact(
        crafted, "HIS-001", "2024-25 Q2", "trend, trend_basis, value_year_earlier"
    ) == (
        "worse",
        "warehouse history",
        120.0,
    )
    # SPL-001: no history; 130 a year ago per the return: 124.9 is better, whatever the arrow.
    assert crafted_fact(crafted, "SPL-001", "2024-25 Q2", "trend, trend_basis") == (
        "improved",
        "same period last year",
    )
    assert crafted_fact(crafted, "NTG-001", "2024-25 Q2", "trend, trend_basis") == (None, None)


def test_a_lagged_value_is_compared_with_the_same_quarter_a_year_before_it(crafted) -> None:
    # LAG-001 at 2024-25 Q2 stands on its Q1 value 15; a year before Q1 it was 10
    # (higher is better: improved), though a year before Q2 it was 20.
    columns = "value_as_at, value_year_earlier, trend"
    assert crafted_fact(crafted, "LAG-001", "2024-25 Q2", columns) == (15.0, 10.0, "improved")


def test_a_lagged_period_repeats_the_direction_of_the_period_its_value_is_from(crafted) -> None:
    # Against 12: 2023-24 Q2 was +66.7%, 2024-25 Q1 is +25%: worsening; Q2 holds no
    # new figure, so it says what Q1 said rather than 'same'.
    directions = crafted.sql(
        "select period_key, direction_of_travel, is_lagged from marts.fct_indicator_observations "
        "where ref = 'LAG-001' and period_key like '2024-25%' order by period_key"
    ).fetchall()
    assert directions == [("2024-25 Q1", "worsening", False), ("2024-25 Q2", "worsening", True)]
