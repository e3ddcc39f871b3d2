"""A history of quarters, built as a team would run it: the published marts keep each
period as its own returns gave it, the restated marts follow the latest revisions, and
the findings judge a return on its own figures and never stop publication.

One synthetic authority (Histshire) sends six quarters of returns with a lagged
indicator, a revised one, an outturn the next year restates and a measure type changed
mid-year. The same folder holds, for each of its periods, an authority with that
period's returns alone (what the period published) and one with that period's returns
rewritten with the latest revision of every value (what it is restated to). The
history is built twice: without its last quarter, then with it, and with one of its
files resent empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines.quarters import Quarter
from pipelines.run import RunOutcome
from tests.conftest import build, return_csv

HEADER = [
    "authority", "reporting_period", "priority", "ref", "indicator", "polarity", "measure_type",
    "previous_outturn", "target", "q1", "q2", "q3", "q4", "reported_variance", "reported_trend",
    "comparative_quartile",
]  # fmt: skip
QUARTER_CELLS = ("q1", "q2", "q3", "q4")
PERIODS = [(2023, 1), (2023, 2), (2023, 3), (2023, 4), (2024, 1), (2024, 2)]
LAST = PERIODS[-1]
HISTORY = "Histshire"
MARTS = ("mart_priority_performance", "mart_priority_trend", "mart_quartile_distribution")


def period_key(year: int, quarter: int) -> str:
    return Quarter(year, quarter).key


@dataclass(frozen=True)
class Indicator:
    priority: str
    ref: str
    title: str
    polarity: str
    target: str
    quartile: str


STEADY = Indicator("1", "STD-001", "Percentage of steady things", "Higher", "60", "2nd Quartile")
LAGGED = Indicator(
    "1", "LAG-001", "Rate of lagged things per 10,000", "Lower", "50", "3rd Quartile"
)
RECLASSIFIED = Indicator("1", "MEA-001", "Number of reclassified things", "Higher", "400", "")
REVISED = Indicator("2", "REV-001", "Number of revised things", "Higher", "400", "1st Quartile")
OUTTURN = Indicator("2", "OUT-001", "Percentage of restated outturns", "Higher", "70", "")

FIRST_VALUES = {  # the value first reported for each quarter, by quarter index 0..5
    STEADY: [61, 59, 62, 58, 63, 60],
    LAGGED: [52, 48, 53, 49, 47, 51],
    RECLASSIFIED: [90, 210, 290, 420, 95, 180],
    REVISED: [100, 210, 300, 390, 110, 212],
    OUTTURN: [71, 72, 69, 73, 74, 68],
}


def cells_of_return(indicator: Indicator, index: int) -> dict[str, str]:
    """What the return as at PERIODS[index] prints for the indicator's value cells."""
    year, quarter = PERIODS[index]
    first = next(i for i, (y, _) in enumerate(PERIODS) if y == year)
    cells: dict[str, str] = {}
    for i in range(first, index + 1):
        value = FIRST_VALUES[indicator][i]
        cell = QUARTER_CELLS[PERIODS[i][1] - 1]
        if indicator is LAGGED and i == index:
            cells[cell] = f"To be reported in {Quarter(year, quarter).next().name}"
        elif indicator is REVISED and i < index:
            cells[cell] = str(value + 5)  # revised by the next return, and so printed after
        else:
            cells[cell] = str(value)
    if year == 2024:
        last_year_q4 = FIRST_VALUES[indicator][3]
        # Next year's returns restate the outturn (and fill the lagged one's).
        cells["previous_outturn"] = str(last_year_q4 + (3 if indicator is OUTTURN else 0))
    return cells


def measure_type(indicator: Indicator, index: int) -> str:
    if indicator is RECLASSIFIED:
        # Cumulative until 2024-25 Q2, whose return calls it a snapshot.
        return "snapshot" if PERIODS[index] == LAST else "cumulative"
    return "cumulative" if indicator is REVISED else "snapshot"


def printed_figures(indicator: Indicator, index: int) -> dict[str, str]:
    """The two printed figures the scenario needs, worked by hand from the return's own
    cells: each follows from the return that prints it, not from later revisions."""
    if indicator is REVISED and PERIODS[index] == (2023, 2):
        # 210 against 400 x 6/12 = 200, higher is better: +5%. (The 2023-24 Q3 return
        # revises the Q2 value to 215, which would give +7.5%.)
        return {"reported_variance": "5%"}
    if indicator is REVISED and PERIODS[index] == LAST:
        # 212 now against 210 published a year earlier: improved. (Against the revised
        # 215 it would be worse.)
        return {"reported_trend": "\u2191"}
    return {}


def history_rows(index: int, authority: str, latest: bool = False) -> dict[str, list[dict]]:
    """The return files as at PERIODS[index], by file name; with latest, each value cell
    holds the latest revision of that value the history gives."""
    year, quarter = PERIODS[index]
    files: dict[str, list[dict]] = {}
    for indicator in FIRST_VALUES:
        cells = cells_of_return(indicator, index)
        if latest:
            cells = {
                cell: latest_revision(indicator, year, cell, text) for cell, text in cells.items()
            }
        row = {
            "authority": authority,
            "reporting_period": period_key(year, quarter),
            "priority": indicator.priority,
            "ref": indicator.ref,
            "indicator": indicator.title,
            "polarity": indicator.polarity,
            "measure_type": measure_type(indicator, index),
            "target": indicator.target,
            "comparative_quartile": indicator.quartile,
            **cells,
            **printed_figures(indicator, index),
        }
        files.setdefault(f"priority-{indicator.priority}.csv", []).append(row)
    return files


def latest_revision(indicator: Indicator, year: int, cell: str, text: str) -> str:
    """The number the latest return that prints one gives for this cell's period."""
    cell_year, cell_name = (year - 1, "q4") if cell == "previous_outturn" else (year, cell)
    latest = text
    for index, (return_year, _) in enumerate(PERIODS):
        printed = cells_of_return(indicator, index)
        for name, value in printed.items():
            period = (return_year - 1, "q4") if name == "previous_outturn" else (return_year, name)
            if period == (cell_year, cell_name) and not value.startswith("To be"):
                latest = value
    return latest


def write_returns(folder: Path, authority: str, index: int, latest: bool = False) -> None:
    year, quarter = PERIODS[index]
    for name, rows in history_rows(index, authority, latest).items():
        path = folder / authority.lower().replace(" ", "-") / f"{year}-Q{quarter}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(return_csv(rows, HEADER))


RESENT_EMPTY = "histshire/2024-Q1/priority-2.csv"
RETITLED = "Retitled"


def write_retitled(folder: Path) -> None:
    """A ref whose title changes in 2024-25 Q2, where another service's file resends the
    row with the old title: two current returns of one period, two titles."""
    row = {"authority": RETITLED, "priority": "1", "ref": "TTL-001", "polarity": "Higher",
           "target": "60", "q1": "61"}  # fmt: skip
    old, new = "Percentage of things titled once", "Percentage of things titled anew"
    files = {
        "2024-Q1/priority-1.csv": row | {"reporting_period": "2024-25 Q1", "indicator": old},
        "2024-Q2/priority-1.csv": row | {"reporting_period": "2024-25 Q2", "indicator": new},
        "2024-Q2/priority-2.csv": row | {"reporting_period": "2024-25 Q2", "indicator": old},
    }
    for name, file_row in files.items():
        path = folder / RETITLED.lower() / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(return_csv([file_row], HEADER))


@dataclass(frozen=True)
class History:
    before_last: RunOutcome
    marts_before_last: dict[str, set[tuple]]
    after_last: RunOutcome


def alone(index: int) -> str:
    return f"Alone {period_key(*PERIODS[index])}"


def restated_to(index: int) -> str:
    return f"Latest {period_key(*PERIODS[index])}"


def mart_rows(warehouse: Path, table: str) -> set[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return set(connection.sql(f"select * from marts.{table}").fetchall())


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    base = tmp_path_factory.mktemp("history")
    folder, warehouse = base / "returns", base / "warehouse.duckdb"
    for index in range(len(PERIODS)):
        write_returns(folder, alone(index), index)
        write_returns(folder, restated_to(index), index, latest=True)
        if PERIODS[index] != LAST:
            write_returns(folder, HISTORY, index)
    write_retitled(folder)
    before_last = build(folder, warehouse)
    assert before_last.published, before_last.summary()
    marts = {table: mart_rows(warehouse, table) for table in MARTS}
    write_returns(folder, HISTORY, len(PERIODS) - 1)
    (folder / RESENT_EMPTY).write_bytes(b"")
    after_last = build(folder, warehouse)
    assert after_last.published, after_last.summary()
    return History(before_last, marts, after_last)


def rows_of(rows: set[tuple], authority: str, period: str) -> set[tuple]:
    """A mart's rows of one authority and period, without the authority."""
    return {row[1:] for row in rows if row[0] == authority and row[1] == period}


@pytest.mark.parametrize("table", ["mart_priority_performance", "mart_quartile_distribution"])
def test_each_period_is_published_as_its_own_returns_alone_give_it(history, table) -> None:
    rows = mart_rows(history.after_last.warehouse, table)
    for index, period in enumerate(period_key(*p) for p in PERIODS):
        published = rows_of(rows, HISTORY, period)
        assert published, (table, period)
        assert published == rows_of(rows, alone(index), period), (table, period)


@pytest.mark.parametrize("table", ["mart_priority_performance", "mart_quartile_distribution"])
def test_each_period_is_restated_as_the_latest_revisions_give_it(history, table) -> None:
    restated = mart_rows(history.after_last.warehouse, f"{table}_restated")
    rows = mart_rows(history.after_last.warehouse, table)
    for index, period in enumerate(period_key(*p) for p in PERIODS):
        assert rows_of(restated, HISTORY, period) == rows_of(rows, restated_to(index), period)


def test_the_history_has_restatements_for_the_two_views_to_differ_on(history) -> None:
    performance = mart_rows(history.after_last.warehouse, "mart_priority_performance")
    restated = mart_rows(history.after_last.warehouse, "mart_priority_performance_restated")
    differ = {row[1] for row in performance ^ restated if row[0] == HISTORY}
    # Lagged cells filled in and revised values change every period but the last.
    assert differ == {period_key(*p) for p in PERIODS[:-1]}


@pytest.mark.parametrize("table", MARTS)
def test_a_later_quarter_leaves_the_published_periods_as_they_were(history, table) -> None:
    after = mart_rows(history.after_last.warehouse, table)
    for period in (period_key(*p) for p in PERIODS[:-1]):
        assert rows_of(after, HISTORY, period) == rows_of(
            history.marts_before_last[table], HISTORY, period
        ), (table, period)


def flags(outcome: RunOutcome, authority: str, check_name: str) -> list[dict]:
    with duckdb.connect(str(outcome.warehouse), read_only=True) as connection:
        relation = connection.sql(
            "select * from quality.dq_flags where authority = ? and check_name = ? "
            "order by reporting_period, ref",
            params=[authority, check_name],
        )
        return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def test_no_printed_figure_is_judged_against_a_later_revision(history) -> None:
    for check in ("reported_variance_mismatch", "reported_trend_mismatch"):
        assert flags(history.after_last, HISTORY, check) == []


def test_the_published_trend_compares_with_the_year_earlier_period_as_published(history) -> None:
    with duckdb.connect(str(history.after_last.warehouse), read_only=True) as connection:
        assert connection.sql(
            "select published_trend, published_value_year_earlier, trend, value_year_earlier "
            "from marts.fct_indicator_observations "
            "where authority = ? and ref = 'REV-001' and period_key = '2024-25 Q2'",
            params=[HISTORY],
        ).fetchall() == [("improved", 210.0, "worse", 215.0)]


def test_a_published_figure_a_later_return_changed_is_an_info_finding(history) -> None:
    restated = {
        (f["reporting_period"], f["ref"]): f for f in flags(history.after_last, HISTORY, "restated")
    }
    revised = restated[("2023-24 Q2", "REV-001")]
    assert revised["severity"] == "INFO"
    assert (revised["expected"], revised["observed"]) == ("210.0", "215.0")
    # The return whose figure now stands: the latest to print it.
    assert revised["source_file_path"] == "histshire/2023-Q4/priority-2.csv"
    assert "restated by the 2023-24 Q4 return" in revised["message"]
    # A lagged figure published on the quarter before, filled in by the next return.
    lagged = restated[("2023-24 Q2", "LAG-001")]
    assert (lagged["expected"], lagged["observed"]) == ("52.0", "48.0")
    # The restated outturn: 2023-24 Q4 published at 73, restated to 76 by 2024-25.
    assert restated[("2023-24 Q4", "OUT-001")]["observed"] == "76.0"
    assert all(period != period_key(*LAST) for period, _ in restated)


def test_a_mid_year_change_of_measure_type_leaves_earlier_quarters_judged_as_they_were(
    history,
) -> None:
    with duckdb.connect(str(history.after_last.warehouse), read_only=True) as connection:
        judged = connection.sql(
            "select period_key, measure_type, published_period_target, period_target "
            "from marts.fct_indicator_observations where authority = ? and ref = 'MEA-001' "
            "and period_key in ('2024-25 Q1', '2024-25 Q2') order by period_key",
            params=[HISTORY],
        ).fetchall()
    # Q1 was a cumulative count, judged against 400 x 3/12; Q2's return calls it a snapshot.
    assert judged == [
        ("2024-25 Q1", "cumulative", 100.0, 100.0),
        ("2024-25 Q2", "snapshot", 400.0, 400.0),
    ]
    (change,) = flags(history.after_last, HISTORY, "inconsistent_measure_type")
    assert (change["reporting_period"], change["observed"], change["expected"]) == (
        "2024-25 Q2",
        "snapshot",
        "cumulative",
    )


def test_a_file_resent_unreadable_keeps_its_last_good_version_and_asks_for_it_again(
    history,
) -> None:
    (finding,) = flags(history.after_last, HISTORY, "unreadable_newest_version")
    assert finding["severity"] == "ERROR"
    assert finding["reporting_period"] == "2024-25 Q1"
    assert finding["source_file_path"] == RESENT_EMPTY
    assert "send the file again" in finding["message"]
    assert "empty" in finding["message"]
    with duckdb.connect(str(history.after_last.warehouse), read_only=True) as connection:
        # The priority 2 indicators of 2024-25 Q1 are still counted, from the kept version.
        assert connection.sql(
            "select n_with_data from marts.mart_priority_performance "
            "where authority = ? and reporting_period = '2024-25 Q1' and priority = 2",
            params=[HISTORY],
        ).fetchall() == [(2,)]


def test_one_ref_titled_two_ways_in_one_period_is_flagged_and_the_warehouse_published(
    history,
) -> None:
    assert history.before_last.published
    titles = flags(history.before_last, RETITLED, "inconsistent_title")
    assert {(f["reporting_period"], f["source_file_path"]) for f in titles} == {
        ("2024-25 Q2", "retitled/2024-Q2/priority-1.csv"),
        ("2024-25 Q2", "retitled/2024-Q2/priority-2.csv"),
    }
