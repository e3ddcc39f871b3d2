"""A quarter is one thing: one Python value, one SQL definition, and the two agree."""

from __future__ import annotations

import duckdb
import pandera.errors
import pandera.polars as pa
import polars as pl
import pytest

from pipelines.quarters import Quarter
from pipelines.resources import load_rule_macros
from schemas.gate_checks import reporting_period_column

QUARTERS = [Quarter(1999, 4), Quarter(2021, 4), Quarter(2024, 1), Quarter(2024, 2)]


@pytest.mark.parametrize(
    ("text", "quarter"),
    [
        ("2024-25 Q2", Quarter(2024, 2)),  # the warehouse's reporting_period, and the seeds'
        ("2024-25-Q2", Quarter(2024, 2)),  # a Dagster partition, and a report's file name
        ("1999-00 Q4", Quarter(1999, 4)),
    ],
)
def test_both_spellings_of_a_quarter_are_parsed_to_the_same_quarter(
    text: str, quarter: Quarter
) -> None:
    assert Quarter.parse(text) == quarter


NOT_QUARTERS = [
    "2024-26 Q2", "2024-25 Q5", "2024-25Q2", "Q2", "2024 Q2", "",
    "2024-25-Q2\n",  # a line break after a key would make a partition of its own
    "\u0662\u0660\u0662\u0664-25 Q2",  # 2024 in Arabic-Indic digits
]  # fmt: skip


@pytest.mark.parametrize("text", NOT_QUARTERS)
def test_text_that_is_not_a_quarter_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a financial quarter"):
        Quarter.parse(text)


def test_a_partition_key_has_one_spelling_so_one_quarter_is_never_two_partitions() -> None:
    assert Quarter.from_partition_key("2024-25-Q2") == Quarter(2024, 2)
    with pytest.raises(ValueError, match="is not a financial quarter"):
        Quarter.from_partition_key("2024-25 Q2")


@pytest.mark.parametrize("quarter", QUARTERS)
def test_a_quarter_is_written_back_as_it_was_read(quarter: Quarter) -> None:
    assert Quarter.parse(quarter.key) == quarter
    assert Quarter.from_partition_key(quarter.partition_key) == quarter
    assert Quarter.from_index(quarter.index) == quarter


def test_a_quarter_is_named_as_the_warehouse_and_dagster_name_it() -> None:
    quarter = Quarter(2024, 2)
    assert (quarter.key, quarter.partition_key) == ("2024-25 Q2", "2024-25-Q2")
    assert (quarter.financial_year, quarter.name) == ("2024-25", "Q2")


def test_quarters_order_as_dates_and_step_across_the_year_end() -> None:
    assert sorted([Quarter(2024, 1), Quarter(2021, 4), Quarter(2023, 3)]) == [
        Quarter(2021, 4), Quarter(2023, 3), Quarter(2024, 1),
    ]  # fmt: skip
    assert Quarter(2023, 4).next() == Quarter(2024, 1)
    assert Quarter(2024, 1).previous() == Quarter(2023, 4)
    assert Quarter(2024, 2).year_earlier() == Quarter(2023, 2)
    assert Quarter(2024, 3).year_to_date() == [Quarter(2024, 1), Quarter(2024, 2), Quarter(2024, 3)]
    assert Quarter(2024, 1).next().index == Quarter(2024, 1).index + 1
    assert Quarter(2024, 2).year_end() == Quarter(2024, 4)


def test_a_year_has_four_quarters() -> None:
    with pytest.raises(ValueError, match="quarters 1 to 4"):
        Quarter(2024, 5)


def test_the_sql_macros_and_quarter_are_the_same_ordinal_and_key() -> None:
    with duckdb.connect() as connection:
        load_rule_macros(connection)
        for quarter in QUARTERS:
            index, start_year, number, key = connection.execute(
                "select rules.quarter_index($year, $number), "
                "rules.quarter_index_start_year(rules.quarter_index($year, $number)), "
                "rules.quarter_index_number(rules.quarter_index($year, $number)), "
                "rules.quarter_period_key($year, $number)",
                {"year": quarter.start_year, "number": quarter.number},
            ).fetchone()
            assert (index, start_year, number, key) == (
                quarter.index, quarter.start_year, quarter.number, quarter.key,
            )  # fmt: skip


def test_a_month_inside_a_quarter_has_no_quarter_of_its_own_to_compare_with() -> None:
    with duckdb.connect() as connection:
        load_rule_macros(connection)
        months = connection.execute(
            "select months.fiscal_month, rules.quarter_of_month(months.fiscal_month), "
            "rules.quarter_containing_month(months.fiscal_month), "
            "rules.year_earlier_quarter_key(2024, months.fiscal_month), "
            "rules.quarter_end_month(rules.quarter_containing_month(months.fiscal_month)) "
            "from range(1, 13) as months(fiscal_month) order by months.fiscal_month"
        ).fetchall()
    assert months[3:6] == [
        (4, None, 2, None, 6), (5, None, 2, None, 6), (6, 2, 2, Quarter(2023, 2).key, 6),
    ]  # fmt: skip
    assert [key for *_, key, _ in months if key] == [Quarter(2023, n).key for n in range(1, 5)]


def gate_reporting_period(cells: list[str]) -> pl.DataFrame:
    """Run the gate's reporting_period checks on one file's rows."""
    columns = {"file_path": pa.Column(pl.Utf8), "file_hash": pa.Column(pl.Utf8)}
    schema = pa.DataFrameSchema(columns | {"reporting_period": reporting_period_column()})
    rows = pl.DataFrame({"file_path": "a.csv", "file_hash": "h", "reporting_period": cells})
    return schema.validate(rows, lazy=True)


def test_a_file_may_spell_its_quarter_differently_on_each_row() -> None:
    gate_reporting_period(["2024-25 Q2", "Quarter 2 2024/25", "Q2 2024-25"])


def test_a_row_for_another_quarter_than_its_file_fails_the_gate() -> None:
    with pytest.raises(pandera.errors.SchemaErrors, match="differs from the other rows"):
        gate_reporting_period(["2024-25 Q2", "2024/25 Q2", "2025-26 Q1"])
