"""docs/analysts-guide.md: its five example queries run as written and return what it says.

Each ```sql block of the guide is run on the warehouse built from the sample
returns, so a renamed table or column, or a changed rule, shows here first.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from tests.conftest import build, indicator_row, return_csv

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "analysts-guide.md"
SQL_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.DOTALL | re.MULTILINE)

# The guide's queries, in the order it gives them.
NEW_REDS, PRIORITY_TREND, BOTTOM_QUARTILE_WORSE, FINDINGS, REJECTIONS = range(5)
QUERY_NAMES = ["new_reds", "priority_trend", "bottom_quartile_worse", "findings", "rejections"]


def guide_queries() -> list[str]:
    return SQL_BLOCK.findall(GUIDE.read_text(encoding="utf-8"))


def guide_query(index: int) -> str:
    queries = guide_queries()
    assert len(queries) == len(QUERY_NAMES), "the guide must give exactly five SQL queries"
    return queries[index]


def run(connection: duckdb.DuckDBPyConnection, query: str) -> list[dict[str, object]]:
    """The rows of a query, each as {column: value}."""
    relation = connection.sql(query)
    return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def test_the_guide_gives_exactly_five_sql_queries() -> None:
    assert len(guide_queries()) == 5


@pytest.mark.parametrize(
    ("index", "returns_rows"),
    [
        (NEW_REDS, True),
        (PRIORITY_TREND, True),
        (BOTTOM_QUARTILE_WORSE, True),
        (FINDINGS, True),
        # The sample's 8 files and 160 rows all pass the gate: the honest answer is none.
        (REJECTIONS, False),
    ],
    ids=QUERY_NAMES,
)
def test_each_guide_query_runs_as_written_on_the_sample_warehouse(
    sample_warehouse: duckdb.DuckDBPyConnection, index: int, returns_rows: bool
) -> None:
    rows = run(sample_warehouse, guide_query(index))
    assert bool(rows) is returns_rows


def test_new_reds_are_the_thirteen_indicators_met_or_within_at_q1(
    sample_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    rows = run(sample_warehouse, guide_query(NEW_REDS))
    assert {row["ref"] for row in rows} == {
        "CYP-001", "CYP-004", "E&S-006", "PH-005", "PH-022", "G&P-011", "HS-006",
        "G&P-005A", "G&P-005B", "ENV-006", "ENV-007", "CS-001", "CS-003",
    }  # fmt: skip
    assert {row["previous_quarter"] for row in rows} == {"2024-25 Q1"}
    assert {row["previous_status"] for row in rows} == {"met", "within"}
    assert {row["priority_number"] for row in rows} == {1, 2, 3, 4, 5, 6}
    ombudsman = next(row for row in rows if row["ref"] == "CS-001")
    assert (ombudsman["previous_value"], ombudsman["previous_target"]) == (1.08, 1.25)
    assert (ombudsman["value"], ombudsman["period_target"]) == (4.3, 2.5)
    assert ombudsman["variance_pct"] == -72.0


def test_new_reds_count_an_indicator_with_no_status_last_quarter_as_not_red(
    sample_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    # At 2021-22 Q4, PH-02 and E&S-18 had no status at Q3: the guide says they count.
    query = guide_query(NEW_REDS).replace("'2024-25 Q2'", "'2021-22 Q4'")
    previous = {row["ref"]: row["previous_status"] for row in run(sample_warehouse, query)}
    assert previous == {
        "CYP-01": "met", "CYP-03": "met", "PH-14": "met", "PH-02": None, "E&S-18": None,
    }  # fmt: skip


def test_priority_trend_gives_priority_1_quarters_oldest_first(
    sample_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    rows = run(sample_warehouse, guide_query(PRIORITY_TREND))
    assert [row["reporting_period"] for row in rows] == ["2021-22 Q2", "2021-22 Q4", "2024-25 Q2"]
    assert [row["pct_met"] for row in rows] == [39.3, 36.1, 59.1]
    # 2021-22 Q2's arrows cannot be read and nothing a year earlier is held: no trend.
    assert rows[0]["n_with_trend"] == 0
    assert rows[0]["pct_improved"] is None
    assert (rows[2]["pct_improved"], rows[2]["pct_worse"]) == (63.6, 36.4)


def test_bottom_quartile_and_worse_includes_asc_004_which_meets_its_target(
    sample_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    rows = run(sample_warehouse, guide_query(BOTTOM_QUARTILE_WORSE))
    by_ref = {row["ref"]: row for row in rows}
    assert set(by_ref) == {"CYP-004", "PH-005", "ASC-004", "PH-018", "G&P-005B"}
    assert by_ref["ASC-004"]["performance_status"] == "met"
    assert by_ref["PH-018"]["comparator_period"] == "2020/22"
    # No 2023-24 Q2 value is held and same_period_last_year is blank: the printed arrow stands.
    assert {row["trend_basis"] for row in rows} == {"reported"}


def test_findings_of_2021_22_q4_are_eleven_warnings_in_the_priority_1_return(
    sample_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    rows = run(sample_warehouse, guide_query(FINDINGS))
    assert len(rows) == 11
    assert {row["severity"] for row in rows} == {"WARN"}
    assert {row["source_file_path"] for row in rows} == {"st-helens/2021-22/Q4/priority-1.csv"}
    assert Counter(row["check_name"] for row in rows) == {
        "target_changed_in_year": 3,
        "reported_variance_mismatch": 3,
        "reported_trend_mismatch": 2,
        "value_outlier": 2,
        "inconsistent_title": 1,
    }
    title = next(row for row in rows if row["check_name"] == "inconsistent_title")
    assert (title["ref"], title["source_row_number"]) == ("CYP-21", 28)
    assert "vear" in title["expected"]


def test_findings_of_2024_25_q2_are_the_thirteen_printed_variances(
    sample_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    query = guide_query(FINDINGS).replace("'2021-22 Q4'", "'2024-25 Q2'")
    checks = Counter(row["check_name"] for row in run(sample_warehouse, query))
    assert checks == {"reported_variance_mismatch": 13}


def test_the_rule_macros_give_what_the_guide_says(
    sample_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    variance, status = sample_warehouse.sql(
        "select rules.variance_pct(273, 294, 'Lower'), rules.performance_status(273, 294, 'Lower')"
    ).fetchall()[0]
    assert round(variance, 2) == 7.14
    assert status == "met"


def test_rejections_name_file_row_column_and_reason_of_the_files_held_now(
    tmp_path: Path,
) -> None:
    returns = tmp_path / "returns"
    folder = returns / "st-helens" / "2021-22" / "Q2"
    folder.mkdir(parents=True)
    warehouse = tmp_path / "warehouse.duckdb"
    st_helens = {"authority": "St Helens", "reporting_period": "2021-22 Q2"}
    first = return_csv([indicator_row(**st_helens), indicator_row(**st_helens, polarity="Up")])
    (folder / "priority-1.csv").write_text(first)
    assert build(returns, warehouse).succeeded

    # The service corrects row 3's polarity (but mistypes its target) and sends an
    # empty file for priority 2: the first version's rejection is no longer current.
    corrected = return_csv(
        [indicator_row(**st_helens), indicator_row(**st_helens, ref="CYP-008", target="abc")]
    )
    (folder / "priority-1.csv").write_text(corrected)
    (folder / "priority-2.csv").write_bytes(b"")
    outcome = build(returns, warehouse)
    assert outcome.succeeded, outcome.summary()

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = run(connection, guide_query(REJECTIONS))
        versions_rejected = connection.sql(
            "select count(distinct file_hash) from quarantine.rejected_rows"
        ).fetchall()[0][0]
    assert versions_rejected == 2
    assert [
        (row["rejected"], row["file_path"], row["row_number"], row["column_name"]) for row in rows
    ] == [
        ("row", "st-helens/2021-22/Q2/priority-1.csv", 3, "target"),
        ("whole file", "st-helens/2021-22/Q2/priority-2.csv", None, None),
    ]
    assert rows[0]["value_typed"] == "abc"
    assert "target is not a number" in rows[0]["reason"]
    assert "empty" in rows[1]["reason"]
