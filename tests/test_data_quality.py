"""The data-quality checks: each fires on its fault and is silent on clean data, the
St Helens reports' own slips are found, and a critical expectation stops publication."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from assets.reference_data import RegisterError, read_register
from pipelines import quality_report
from pipelines.paths import EXPECTATIONS_DIR
from pipelines.run import RunOutcome
from tests.conftest import build, return_csv

HEADER = [
    "authority", "reporting_period", "priority", "ref", "indicator", "polarity", "measure_type",
    "target", "q1", "q2", "q3", "q4", "reported_variance", "reported_trend",
    "comparative_quartile",
]  # fmt: skip

PERCENTAGE = {"ref": "PCT-001", "indicator": "Percentage of children seen within 5 days",
              "polarity": "Higher", "target": "60"}  # fmt: skip
COUNT = {"ref": "NUM-001", "indicator": "Number of repeat referrals", "polarity": "Lower",
         "target": "110"}  # fmt: skip
CUMULATIVE = {"ref": "CUM-001", "indicator": "Number of homes improved in the year",
              "polarity": "Higher", "measure_type": "cumulative", "target": "200"}  # fmt: skip


def clean_returns() -> dict[str, list[dict[str, str]]]:
    """A year of history and two quarters, steady enough that no check has anything to say."""
    return {
        "2023-24-Q4.csv": [
            PERCENTAGE | {"q1": "60", "q2": "62", "q3": "61", "q4": "63"},
            COUNT | {"q1": "100", "q2": "104", "q3": "98", "q4": "102"},
            CUMULATIVE | {"q1": "50", "q2": "100", "q3": "150", "q4": "200"},
        ],
        "2024-25-Q1.csv": [
            PERCENTAGE | {"q1": "62"},
            COUNT | {"q1": "101"},
            CUMULATIVE | {"q1": "52"},
        ],
        "2024-25-Q2.csv": [
            PERCENTAGE | {"q1": "62", "q2": "61"},
            COUNT | {"q1": "101", "q2": "99"},
            CUMULATIVE | {"q1": "52", "q2": "103"},
        ],
    }


def change(file: str, ref: str, **cells: str) -> Callable[[dict], None]:
    def apply(returns: dict[str, list[dict[str, str]]]) -> None:
        (row,) = [row for row in returns[file] if row["ref"] == ref]
        row.update(cells)

    return apply


def drop(file: str, ref: str) -> Callable[[dict], None]:
    def apply(returns: dict[str, list[dict[str, str]]]) -> None:
        returns[file] = [row for row in returns[file] if row["ref"] != ref]

    return apply


OUTTURN, Q2 = "2023-24-Q4.csv", "2024-25-Q2.csv"

# authority -> (the one fault it carries, the check names it must raise)
FAULTS: dict[str, tuple[Callable[[dict], None] | None, set[str]]] = {
    "Clean": (None, set()),
    "Missing Return": (None, {"missing_return"}),  # the register expects priority 2 too
    "Dropped": (drop("2024-25-Q2.csv", "NUM-001"), {"indicator_dropped"}),
    "Due Missing": (change("2024-25-Q2.csv", "NUM-001", q2=""), {"due_value_missing"}),
    "Target Missing": (
        lambda r: [change(f, "PCT-001", target="")(r) for f in ("2024-25-Q1.csv", Q2)],
        {"target_missing"},
    ),
    "Percentage Range": (change(OUTTURN, "PCT-001", q1="160%"), {"percentage_out_of_range"}),
    "Negative Count": (change("2023-24-Q4.csv", "NUM-001", q1="-5"), {"negative_count"}),
    "Cumulative Falls": (change("2024-25-Q2.csv", "CUM-001", q2="45"), {"cumulative_falls"}),
    "Outlier": (change("2024-25-Q2.csv", "NUM-001", q2="150"), {"value_outlier"}),
    "Variance": (change("2024-25-Q2.csv", "PCT-001", reported_variance="5%"),
                 {"reported_variance_mismatch"}),
    "Trend": (change("2024-25-Q2.csv", "PCT-001", reported_trend="\u2191"),
              {"reported_trend_mismatch"}),
    "Target Changed": (change(Q2, "NUM-001", target="120"), {"target_changed_in_year"}),
    "Polarity": (change("2024-25-Q2.csv", "NUM-001", polarity="Higher"), {"inconsistent_polarity"}),
    "Title": (change("2024-25-Q2.csv", "PCT-001", indicator="Percentage of children seen at home"),
              {"inconsistent_title"}),
    "Quartile Glyph": (change("2024-25-Q2.csv", "PCT-001", comparative_quartile="\u2660"),
                       {"unreadable_comparative_quartile"}),
}  # fmt: skip


def write_crafted(folder: Path, register: Path) -> None:
    register_rows = ["authority,priority,frequency,from_period"]
    for authority, (fault, _) in FAULTS.items():
        returns = clean_returns()
        if fault:
            fault(returns)
        for name, rows in returns.items():
            period = name.removesuffix(".csv").replace("-Q", " Q")
            rows = [{"authority": authority, "reporting_period": period, "priority": "1"} | row
                    for row in rows]  # fmt: skip
            path = folder / authority.lower().replace(" ", "-") / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(return_csv(rows, HEADER))
        register_rows.append(f"{authority},1,Quarterly,2024-25 Q1")
    # Two priorities missing in the same quarters: two findings that differ only by priority.
    register_rows.append("Missing Return,2,Quarterly,2024-25 Q1")
    register_rows.append("Missing Return,3,Quarterly,2024-25 Q1")
    register.write_text("\n".join(register_rows) + "\n")


@pytest.fixture(scope="module")
def crafted_run(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    base = tmp_path_factory.mktemp("crafted")
    folder, register = base / "returns", base / "expected_returns.csv"
    write_crafted(folder, register)
    outcome = build(
        folder, tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb", expected_returns=register
    )
    assert outcome.succeeded, outcome.summary()
    return outcome


@pytest.fixture
def crafted_flags(crafted_run: RunOutcome) -> list[dict]:
    with duckdb.connect(str(crafted_run.warehouse), read_only=True) as connection:
        relation = connection.sql("select * from quality.dq_flags")
        return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


@pytest.mark.parametrize("authority", FAULTS)
def test_each_crafted_fault_raises_exactly_its_own_check(crafted_flags, authority) -> None:
    raised = {flag["check_name"] for flag in crafted_flags if flag["authority"] == authority}
    assert raised == FAULTS[authority][1]


def flags_of(flags: list[dict], authority: str) -> list[dict]:
    return [flag for flag in flags if flag["authority"] == authority]


def test_a_missing_return_is_flagged_for_each_quarter_it_was_due(crafted_flags) -> None:
    flags = flags_of(crafted_flags, "Missing Return")
    assert sorted((f["reporting_period"], f["priority_number"]) for f in flags) == [
        ("2024-25 Q1", 2),
        ("2024-25 Q1", 3),
        ("2024-25 Q2", 2),
        ("2024-25 Q2", 3),
    ]
    assert flags[0]["message"].startswith("No return for priority 2 has arrived for 2024-25 Q")


def test_a_finding_names_the_file_and_row_to_open(crafted_flags) -> None:
    (flag,) = flags_of(crafted_flags, "Variance")
    assert (flag["ref"], flag["source_file_path"], flag["source_row_number"]) == (
        "PCT-001", "variance/2024-25-Q2.csv", 2,
    )  # fmt: skip
    # 61 against 60, higher is better: (61 - 60) / 60 = 1.67%, not the 5% printed.
    assert (flag["observed"], flag["expected"]) == ("5%", "1.67%")
    assert flag["severity"] == "WARN"


def test_impossible_values_are_errors_and_explained(crafted_flags) -> None:
    (flag,) = flags_of(crafted_flags, "Percentage Range")
    assert (flag["severity"], flag["reporting_period"], flag["period_key"]) == (
        "ERROR", "2023-24 Q4", "2023-24 Q1",
    )  # fmt: skip
    assert flag["message"] == "PCT-001 is a percentage but reports 160.0 for 2023-24 Q1."


def test_the_outlier_check_uses_a_robust_median_of_the_history(crafted_flags) -> None:
    (flag,) = flags_of(crafted_flags, "Outlier")
    # History 100, 104, 98, 102, 101: median 101, MAD 1; 150 scores 0.6745 * 49 = 33.
    assert "median 101.0 over 5 earlier values" in flag["message"]


def test_values_too_new_to_judge_are_counted_not_guessed(crafted_run) -> None:
    with duckdb.connect(str(crafted_run.warehouse), read_only=True) as connection:
        not_judged = connection.sql(
            "select ref, period_key, history_length from quality.value_history "
            "where authority = 'Clean' and not judged order by ref, period_key"
        ).fetchall()
    # Every cumulative value (one earlier year at most) and the first four quarters.
    assert ("CUM-001", "2024-25 Q2", 1) in not_judged
    assert ("PCT-001", "2023-24 Q4", 3) in not_judged
    assert ("PCT-001", "2024-25 Q2", 5) not in not_judged
    assert "values were not judged for outliers" in crafted_run.quality_report.read_text()


def test_the_run_says_how_many_findings_of_each_severity_and_where(crafted_run) -> None:
    summary = crafted_run.summary()
    assert (
        "Data quality of the quarters run: 2 ERROR, 15 WARN, 1 INFO findings: "
        "SELECT * FROM quality.dq_flags" in summary
    )
    assert str(crafted_run.quality_report) in summary


def test_the_html_report_shows_each_finding_with_its_severity_as_text(crafted_run) -> None:
    page = crafted_run.quality_report.read_text()
    assert "<h2>Findings</h2>" in page
    assert "\u25a0 ERROR" in page and "\u25b2 WARN" in page
    assert "PCT-001 is a percentage but reports 160.0 for 2023-24 Q1." in page
    assert (crafted_run.quality_report.parent / "latest.html").read_text() == page


def test_a_page_of_many_findings_lists_the_most_severe_and_says_where_the_rest_are(
    crafted_run, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(quality_report, "FINDINGS_SHOWN", 3)
    page = quality_report.write_quality_report(
        crafted_run.build_warehouse, tmp_path, "many", True, crafted_run.reporting_periods
    ).read_text()
    listed = page.split("<h2>Findings</h2>")[1].split("</table>")[0]
    assert "The first 3 of 18 findings" in listed
    assert re.findall(r'<tr class="(\w+)">', listed) == ["ERROR", "ERROR", "WARN"]
    by_check = page.split("<h2>Findings by check</h2>")[1].split("</table>")[0]
    assert sum(int(n) for n in re.findall(r"</td><td>(\d+)</td><td>\d+</td></tr>", by_check)) == 18


# --- The St Helens reports' own slips, found in the sample data -----------------------


def sample_flags(warehouse, check_name: str) -> dict[tuple[str, str], tuple[str, str]]:
    rows = warehouse.sql(
        "select reporting_period, ref, observed, expected from quality.dq_flags "
        "where check_name = ?",
        params=[check_name],
    ).fetchall()
    return {(period, ref): (observed, expected) for period, ref, observed, expected in rows}


def test_printed_variances_that_do_not_follow_from_their_rows_are_found(sample_warehouse) -> None:
    found = sample_flags(sample_warehouse, "reported_variance_mismatch")
    q2 = {ref: values for (period, ref), values in found.items() if period == "2024-25 Q2"}
    # CYP-012: 28 against 30, higher is better: (28 - 30) / 30 = -6.67%; printed 86.6%.
    assert q2["CYP-012"] == ("86.6%", "-6.67%")
    # CYP-013: lagged, Q1 41 against 155 / 4 = 38.75, lower is better: -5.81%; printed -5.12.
    assert q2["CYP-013"] == ("-5.12", "-5.81%")
    # HS-007: 479 against 1,100 / 2 = 550: (479 - 550) / 550 = -12.91%; printed -4.2%.
    assert q2["HS-007"] == ("-4.2%", "-12.91%")
    # CS-011: 52.9 against 94.75 / 2 = 47.375: +11.66%; printed -1.12% (an unstated profile).
    assert q2["CS-011"] == ("-1.12%", "11.66%")
    # CS-002: 84 against 75: (84 - 75) / 75 = 12%; printed 11.32%.
    assert q2["CS-002"] == ("11.32%", "12.0%")
    # ASC-015: 79.7 against 70 gives 13.86%; printed 14.14% (from 79.9): within 0.5, not flagged.
    assert "ASC-015" not in q2
    assert set(q2) == {
        "CYP-012", "CYP-013", "HS-001", "HS-002A", "HS-003", "HS-005", "HS-007",
        "SC-001", "CC-002", "CS-002", "CS-011", "CS-012", "CS-013",
    }  # fmt: skip
    # 2021-22 Q2, E&S-05: a Q2 value of 17.35 against a 5.2 target, lower is better:
    # (5.2 - 17.35) / 5.2 = -233.65%; printed -5.15% (the 17.35 is likely a typo).
    assert found[("2021-22 Q2", "E&S-05")] == ("-5.15%", "-233.65%")


def test_printed_trends_that_contradict_the_warehouse_history_are_found(sample_warehouse) -> None:
    found = sample_flags(sample_warehouse, "reported_trend_mismatch")
    # CYP-06 at the 2021-22 outturn: 58.3 against 54.3 a year earlier, lower is better,
    # is worse; the report prints an up arrow.
    assert found[("2021-22 Q4", "CYP-06")] == ("\u2191", "worse")
    # PH-02: 28.3 against 28.7, lower is better, is improved; the report prints a down arrow.
    assert found[("2021-22 Q4", "PH-02")] == ("\u2193", "improved")
    assert len(found) == 2


def test_targets_changed_within_2021_22_are_found(sample_warehouse) -> None:
    found = sample_flags(sample_warehouse, "target_changed_in_year")
    assert found == {
        ("2021-22 Q4", "CYP-02"): ("68.0", "73.0"),
        ("2021-22 Q4", "CYP-03"): ("19.0", "21.0"),
        ("2021-22 Q4", "PH-14"): ("14.0", "blank"),
    }


def test_cells_the_seeds_lost_are_found_unreadable(sample_warehouse) -> None:
    assert ("2021-22 Q2", "CYP-23") in sample_flags(
        sample_warehouse, "unreadable_reported_variance"
    )
    glyphs = sample_flags(sample_warehouse, "unreadable_reported_trend")
    assert glyphs[("2021-22 Q2", "CYP-01")][0] == "\u2660"
    assert all(period == "2021-22 Q2" for period, _ in glyphs)


# --- Blocking: what a critical failure stops, and what it does not --------------------


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def suites_with(tmp_path: Path, table: str, expectation: dict) -> Path:
    suites = tmp_path / "expectations"
    shutil.copytree(EXPECTATIONS_DIR, suites)
    suite = json.loads((suites / f"{table}.json").read_text())
    suite["expectations"].append(expectation)
    (suites / f"{table}.json").write_text(json.dumps(suite))
    return suites


def test_a_failed_critical_expectation_stops_publication_but_not_the_record(
    crafted_run, tmp_path
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(crafted_run.warehouse, warehouse)
    published_before = file_digest(warehouse)
    returns = tmp_path / "returns"
    shutil.copytree(crafted_run.returns_dir, returns)
    (returns / "late.csv").write_text(
        return_csv([{"authority": "Late", "reporting_period": "2024-25 Q2", "priority": "1",
                     "ref": "LAT-001", "indicator": "A late arrival", "polarity": "Higher",
                     "target": "not yet"}], HEADER)
    )  # fmt: skip
    impossible = {
        "type": "expect_column_max_to_be_between",
        "kwargs": {"column": "n_with_data", "max_value": 0},
        "meta": {},
        "severity": "critical",
    }
    outcome = build(
        returns,
        warehouse,
        expected_returns=crafted_run_register(crafted_run),
        expectations_dir=suites_with(
            tmp_path, "mart_priority_performance_by_judgement", impossible
        ),
    )
    assert not outcome.succeeded and not outcome.published
    assert (
        "ERROR check marts/mart_priority_performance_by_judgement:expectations_critical (blocking)"
        in outcome.summary()
    )
    assert "NOT published" in outcome.summary()
    assert file_digest(warehouse) == published_before
    with duckdb.connect(str(outcome.build_warehouse), read_only=True) as build_file:
        assert build_file.sql(
            "select reason from quarantine.rejected_rows where file_path = 'late.csv'"
        ).fetchall() == [(
            "target is not a number: write the annual target as a number such as 87, 10% or "
            "1,400,000, or leave it blank where no target is set",
        )]  # fmt: skip


def test_a_failed_warning_expectation_still_publishes(crafted_run, tmp_path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    doubtful = {
        "type": "expect_column_max_to_be_between",
        "kwargs": {"column": "n_with_data", "max_value": 0},
        "meta": {},
        "severity": "warning",
    }
    outcome = build(
        crafted_run.returns_dir,
        warehouse,
        expected_returns=crafted_run_register(crafted_run),
        expectations_dir=suites_with(tmp_path, "mart_priority_trend_by_judgement", doubtful),
    )
    assert outcome.succeeded and outcome.published
    assert (
        "WARN check marts/mart_priority_trend_by_judgement:expectations_warning"
        in outcome.summary()
    )


def crafted_run_register(crafted_run: RunOutcome) -> Path:
    return crafted_run.returns_dir.parent / "expected_returns.csv"


def test_findings_for_a_period_are_replaced_when_it_is_run_again(crafted_run, tmp_path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(crafted_run.warehouse, warehouse)
    returns = tmp_path / "returns"
    shutil.copytree(crafted_run.returns_dir, returns)
    corrected = returns / "outlier" / "2024-25-Q2.csv"
    corrected.write_text(corrected.read_text().replace(",150,", ",99,"))
    again = build(returns, warehouse, expected_returns=crafted_run_register(crafted_run))
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        outlier_flags = connection.sql(
            "select count(*) from quality.dq_flags where authority = 'Outlier'"
        ).fetchall()
    assert again.published
    assert outlier_flags == [(0,)]


# --- The register ---------------------------------------------------------------------


def test_a_mistake_in_the_register_names_its_row_and_column(tmp_path) -> None:
    register = tmp_path / "expected_returns.csv"
    register.write_text(
        "authority,priority,frequency,from_period\n"
        "St Helens,1,Quarterly,2024-25 Q2\n"
        "St Helens,Health,Quarterly,Q5\n"
    )
    with pytest.raises(RegisterError) as raised:
        read_register(register)
    message = str(raised.value)
    assert "row 3, column priority: 'Health' has no priority number" in message
    assert "row 3, column from_period: 'Q5' is not like 2024-25 Q2" in message
