"""Comparator returns end to end: gated, positioned, and preferred to the printed quartile.

The quartile methods themselves are proved in test_comparator_quartiles.py; here,
that a comparator return travels the same way as the indicator returns and that
the quartile summary counts the computed quartile and says so.
"""

from __future__ import annotations

import duckdb
import pytest

from pipelines.run import RunOutcome
from tests.conftest import HEADER, build, indicator_row, return_csv

COMPARATOR_HEADER = [
    "authority",
    "reporting_period",
    "ref",
    "polarity",
    "comparator_group",
    "comparator_period",
    "member_authority",
    "value",
]


def member(name: str, value: str) -> dict[str, str]:
    return {
        "authority": "Testshire",
        "reporting_period": "2024-25 Q2",
        "ref": "CYP-006",
        "polarity": "Lower",
        "comparator_group": "DfE statistical neighbours",
        "comparator_period": "2022/23",
        "member_authority": name,
        "value": value,
    }


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    returns = tmp_path_factory.mktemp("returns")
    (returns / "priority-1.csv").write_text(
        return_csv([indicator_row(comparative_quartile="2nd Quartile")], HEADER)
    )
    # Lower is better: 100, 110, 120, 124.9, 130 have type-7 cut points 110, 120 and
    # 124.9; Testshire's 124.9 is on the upper cut, so in the worse band: the 4th.
    (returns / "comparators.csv").write_text(
        return_csv(
            [
                member("Testshire", "124.9"),
                member("Ashby", "100"),
                member("Brill", "110"),
                member("Cole", "120"),
                member("Dane", "130"),
                member("Eyam", "about 115"),  # row 7: refused, not guessed
            ],
            COMPARATOR_HEADER,
        )
    )
    outcome = build(returns, tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb")
    assert outcome.succeeded, outcome.summary()
    return outcome


@pytest.fixture
def warehouse(crafted: RunOutcome):
    with duckdb.connect(str(crafted.warehouse), read_only=True) as connection:
        yield connection


def test_a_comparator_value_that_is_not_a_number_is_quarantined_and_nothing_is_lost(
    crafted, warehouse
) -> None:
    assert crafted.counts["rows_read"] == 7
    assert crafted.counts["rows_valid"] == 6
    assert crafted.counts["rows_rejected"] == 1
    rejected = warehouse.sql(
        "select file_path, row_number, column_name, value, reason from quarantine.rejected_rows"
    ).fetchall()
    assert [r[:4] for r in rejected] == [("comparators.csv", 7, "value", "about 115")]
    assert rejected[0][4].startswith("value is not a number")


def test_the_computed_quartile_is_counted_and_a_different_printed_one_is_flagged(warehouse):
    position = warehouse.sql(
        "select group_size, rank, quartile, quartile_method from marts.fct_comparator_position"
    ).fetchall()[0]
    assert position == (5, 4, 4, "lait")
    distribution = warehouse.sql(
        "select n_with_data, n_computed, n_q2, n_q4 from marts.mart_quartile_distribution "
        "where priority is null"
    ).fetchall()[0]
    assert distribution == (1, 1, 0, 1)
    flags = warehouse.sql(
        "select ref, observed, expected, source_file_path from quality.dq_flags "
        "where check_name = 'reported_quartile_mismatch'"
    ).fetchall()
    assert flags == [("CYP-006", "quartile 2", "quartile 4 (lait)", "priority-1.csv")]


def test_the_sample_st_helens_quartiles_computed_from_neighbours_agree_with_print(
    sample_warehouse,
) -> None:
    rows = sample_warehouse.sql(
        "select ref, reported_quartile, computed_quartile from marts.fct_indicator_quartiles "
        "where authority = 'St Helens' and reporting_period = '2024-25 Q2' "
        "and computed_quartile is not null order by ref"
    ).fetchall()
    assert rows == [
        ("ASC-001", 1, 1),
        ("ASC-006", 3, 3),
        ("CYP-005", 3, 3),
        ("CYP-006", 4, 4),
        ("CYP-007", 2, 2),
        ("CYP-009", 1, 1),
    ]
    (n_computed,) = sample_warehouse.sql(
        "select n_computed from marts.mart_quartile_distribution "
        "where authority = 'St Helens' and reporting_period = '2024-25 Q2' and priority is null"
    ).fetchall()[0]
    assert n_computed == 6
