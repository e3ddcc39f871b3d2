"""Every messy cell form of the contract reads as it should (schemas/cells.py)."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import pytest

from schemas import cells


def read(parse: Callable[[pl.Expr], pl.Expr], text: str | None) -> object:
    return (
        pl.DataFrame({"cell": [text]}, schema={"cell": pl.Utf8})
        .select(parse(pl.col("cell")))
        .item()
    )


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("1,412,857", 1412857.0),  # CC-002's previous outturn
        ("94.19%", 94.19),  # CS-011: a percentage is kept in points
        ("12.5", 12.5),
        ("9.4%", 9.4),
        ("-6.25%", -6.25),
        ("\u22126.25%", -6.25),  # a typographic minus sign
        ("-5.12", -5.12),
        (" 87 ", 87.0),
        ("124.0", 124.0),
        (".5", 0.5),
        ("1 000", 1000.0),
    ],
)
def test_numbers_in_every_typed_form_parse(typed: str, number: float) -> None:
    assert read(cells.parse_number, typed) == pytest.approx(number)


@pytest.mark.parametrize(
    "typed",
    [
        "-",
        "N/A",
        "n/a",
        "To be reported in Q3",
        "Data collection currently suspended by NHS",
        "CCG currently unable to provide data",
        "%",
        "abc",
        "nan",
        "inf",
        "1,2",  # not a thousands separator: ambiguous, so not a number
        "40.9.%",
        "9" * 400,  # digits, but beyond any number a computer can hold
        "\u0665\u0660",  # 50 in Arabic-Indic digits: no cast reads it, so it stays a note
    ],
)
def test_text_in_a_value_cell_is_no_number_and_is_kept_as_the_note(typed: str) -> None:
    assert read(cells.parse_number, typed) is None
    assert read(cells.value_note, typed) == typed.strip()


@pytest.mark.parametrize("typed", [None, "", "   "])
def test_a_blank_cell_is_neither_a_number_nor_a_note(typed: str | None) -> None:
    assert read(cells.parse_number, typed) is None
    assert read(cells.value_note, typed) is None


def test_a_number_has_no_note() -> None:
    assert read(cells.value_note, "1,412,857") is None


@pytest.mark.parametrize(
    ("typed", "year", "quarter"),
    [
        ("2024-25 Q2", 2024, 2),
        ("2024/25 Q2", 2024, 2),
        ("Q2 2024-25", 2024, 2),
        ("Quarter 2 2024/25", 2024, 2),
        ("2021-22 Outturn", 2021, 4),
        ("2024-2025 Q1", 2024, 1),
        ("1999-00 Q3", 1999, 3),
    ],
)
def test_reporting_periods_in_every_accepted_form_parse(
    typed: str, year: int, quarter: int
) -> None:
    assert read(cells.parse_financial_year_start, typed) == year
    assert read(cells.parse_period_quarter, typed) == quarter


@pytest.mark.parametrize("typed", ["2024-26 Q2", "Q5 2024-25", "2024-25", "September"])
def test_a_reporting_period_without_a_valid_year_or_quarter_does_not_parse(typed: str) -> None:
    year = read(cells.parse_financial_year_start, typed)
    quarter = read(cells.parse_period_quarter, typed)
    assert year is None or quarter is None


@pytest.mark.parametrize(
    ("typed", "number", "name"),
    [
        ("1", 1, None),
        (
            "Priority 2 - Promote good health, independence, and care across our communities",
            2,
            "Promote good health, independence, and care across our communities",
        ),
        (
            "Priority 3 \u2013 Create safe and strong communities",
            3,
            "Create safe and strong communities",
        ),
        ("12", 12, None),
        ("Health", None, None),
    ],
)
def test_priority_number_is_what_joins_and_the_words_are_its_name(
    typed: str, number: int | None, name: str | None
) -> None:
    assert read(cells.parse_priority_number, typed) == number
    assert read(cells.parse_priority_name, typed) == name


@pytest.mark.parametrize(
    ("typed", "quartile"),
    [
        ("1st Quartile", 1),
        ("2nd Quartile", 2),
        ("2 nd Quartile", 2),
        ("4th quartile", 4),
        ("3 rd Quartile Eng Av. 8.8 NW Av. 11.9 (2022/23)", 3),
        ("4th Quartile Eng Av. 71 LA Av. 114 (2022/23)", 4),
        ("3", 3),
        ("N/A", None),
        ("5th Quartile", None),
        ("\u20ac", None),
    ],
)
def test_quartile_cells_read_as_printed(typed: str, quartile: int | None) -> None:
    assert read(cells.parse_quartile, typed) == quartile


def test_averages_and_year_run_into_a_quartile_cell_are_read_out() -> None:
    cell = "4th Quartile Eng Av. 71 LA Av. 114 (2022/23)"
    assert read(lambda c: cells.parse_cell_average(c, "Eng"), cell) == 71
    assert read(lambda c: cells.parse_cell_average(c, "LA|NW"), cell) == 114
    assert read(cells.parse_cell_comparator_period, cell) == "2022/23"
    assert read(lambda c: cells.parse_cell_average(c, "LA|NW"), "3rd Quartile NW Av. 11.9") == 11.9


@pytest.mark.parametrize(
    ("typed", "trend"),
    [
        ("\u2191", "improved"),
        ("\u2193", "worse"),
        ("\u2194", "same"),
        ("\u25b2", "improved"),  # ASC-019 prints a triangle
        ("\u25bc", "worse"),
        ("Improved", "improved"),
        ("Worse", "worse"),
        ("Same", "same"),
        ("N/A", None),
        ("\u2660", None),  # a glyph whose font was lost (2021-22 Q2 report)
        ("\u20bd", None),
    ],
)
def test_printed_trends_read_and_a_lost_glyph_is_no_trend(typed: str, trend: str | None) -> None:
    assert read(cells.parse_reported_trend, typed) == trend


@pytest.mark.parametrize(
    ("reads", "typed", "expected"),
    [
        (cells.parse_polarity, "Higher", "Higher"),
        (cells.parse_polarity, "lower", "Lower"),
        (cells.parse_polarity, "Higher is better", "Higher"),
        (cells.parse_polarity, "Up", None),
        (cells.parse_tier, "Tier 1", 1),
        (cells.parse_tier, "2", 2),
        (cells.parse_tier, "3", None),
        (cells.parse_measure_type, None, "snapshot"),
        (cells.parse_measure_type, "Cumulative", "cumulative"),
        (cells.parse_measure_type, "rolling", None),
    ],
)
def test_codes_read_in_any_case(
    reads: Callable[[pl.Expr], pl.Expr], typed: str | None, expected: object
) -> None:
    assert read(reads, typed) == expected


@pytest.mark.parametrize(
    "reads", [cells.parse_number, cells.value_note, cells.parse_measure_type, cells.parse_quartile]
)
def test_reading_each_distinct_cell_once_gives_what_reading_every_cell_gives(
    reads: Callable[[pl.Expr], pl.Expr],
) -> None:
    column = pl.Series(
        "cell", ["12.5", None, "N/A", "12.5", "", " 1 000 ", "cumulative", "2nd Quartile", None]
    )
    every_cell = column.to_frame().select(reads(pl.col("cell"))).to_series()
    assert cells.read_each_distinct(column, reads).equals(every_cell.alias("cell"))
