"""The Pandera gate for indicator returns: which rows of `raw.returns` are fit to load.

The schema validates the rows as typed (text), so a failure case is the cell the
service lead typed. Each check carries the reason a service lead reads in
`quarantine.rejected_rows`: what is wrong and what was expected. The cells are
read by the functions of `schemas.cells`, the same ones that type accepted rows.
"""

from __future__ import annotations

from collections.abc import Callable

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from schemas import cells
from schemas.return_contract import CONTRACT_COLUMNS, REQUIRED_COLUMNS, TARGET_COLUMNS

# ASCII only: a look-alike digit (Arabic-Indic, full-width) would make another indicator.
REF_PATTERN = r"^[A-Za-z&]+-[0-9]+[A-Za-z]?$"

# The file version a row belongs to: a `ref` may appear once per return.
RETURN_KEY = ("file_path", "file_hash")

BLANK_REASONS: dict[str, str] = {
    "authority": "authority is blank: every row needs the reporting council, e.g. St Helens",
    "reporting_period": "reporting_period is blank: every row needs the quarter the return "
    "is as at, e.g. 2024-25 Q2",
    "priority": "priority is blank: every row needs its strategy priority, 1 to 6 or text "
    "such as 'Priority 3 - Create safe and strong communities'",
    "ref": "ref is blank: every row needs the indicator's reference, e.g. CYP-006",
    "indicator": "indicator is blank: every row needs the indicator's title",
    "polarity": "polarity is blank: every row needs Higher or Lower (which way is better)",
}
DUPLICATE_REF_REASON = (
    "ref appears more than once in this return: each indicator must be reported once per "
    "return, so neither row was loaded"
)


def _cell_check(reads: Callable[[pl.Expr], pl.Expr], reason: str) -> pa.Check:
    """A check that passes where the cell is blank or `reads` makes something of it."""

    def check(data: PolarsData) -> pl.LazyFrame:
        cell = pl.col(data.key)
        return data.lazyframe.select(
            cells.blank_to_null(cell).is_null() | reads(cell).is_not_null()
        )

    return pa.Check(check, error=reason)


def _same_in_whole_file(reads: Callable[[pl.Expr], pl.Expr], reason: str) -> pa.Check:
    """A check that a cell agrees with the rest of its file: a return is one authority's,
    as at one period. A row that differs from the file's most common value fails; a
    cell that cannot be read at all fails its own check instead."""

    def check(data: PolarsData) -> pl.LazyFrame:
        value = reads(pl.col(data.key))
        most_common = value.drop_nulls().mode().sort().first().over(list(RETURN_KEY))
        return data.lazyframe.select(value.is_null() | (value == most_common))

    return pa.Check(check, error=reason)


def _period_key(cell: pl.Expr) -> pl.Expr:
    return cells.parse_financial_year_start(cell) * 10 + cells.parse_period_quarter(cell)


def _target_reason(column: str) -> str:
    which = (
        "the annual target"
        if column == "target"
        else f"the profiled target for {column[-2:].upper()}"
    )
    return (
        f"{column} is not a number: write {which} as a number such as 87, 10% or 1,400,000, "
        "or leave it blank where no target is set"
    )


def _required(checks: list[pa.Check]) -> pa.Column:
    # Blank text is made null before validation, so not-nullable is "not blank".
    return pa.Column(pl.Utf8, checks=checks, nullable=False)


def _optional(checks: list[pa.Check] | None = None) -> pa.Column:
    return pa.Column(pl.Utf8, checks=checks or [], nullable=True)


def indicator_return_schema() -> pa.DataFrameSchema:
    columns: dict[str, pa.Column] = {column: _optional() for column in CONTRACT_COLUMNS}
    columns |= {
        "authority": _required(
            [
                _same_in_whole_file(
                    cells.blank_to_null,
                    "authority differs from the other rows of this file: a return holds one "
                    "authority's figures, so put this row in that authority's own return",
                )
            ]
        ),
        "reporting_period": _required(
            [
                _cell_check(
                    lambda cell: pl.when(cells.parse_period_quarter(cell).is_not_null()).then(
                        cells.parse_financial_year_start(cell)
                    ),
                    "reporting_period is not a financial year and quarter: expected e.g. "
                    "2024-25 Q2, 2024/25 Q2, Q2 2024-25, Quarter 2 2024/25 or 2021-22 Outturn",
                ),
                _same_in_whole_file(
                    _period_key,
                    "reporting_period differs from the other rows of this file: a return is as "
                    "at one quarter, so put this row in that quarter's return",
                ),
            ]
        ),
        "priority": _required(
            [
                _cell_check(
                    cells.parse_priority_number,
                    "priority has no priority number: expected 1 to 6 or text such as "
                    "'Priority 3 - Create safe and strong communities'",
                )
            ]
        ),
        "ref": _required(
            [
                pa.Check.str_matches(
                    REF_PATTERN,
                    error="ref is not an indicator reference: expected letters (and &), a dash, "
                    "digits and an optional letter, e.g. CYP-006, E&S-05, CYP-008A or E&S-25a",
                )
            ]
        ),
        "indicator": _required([]),
        "polarity": _required(
            [
                _cell_check(
                    cells.parse_polarity,
                    "polarity must be Higher or Lower: which way is better for the indicator",
                )
            ]
        ),
        "tier": _optional(
            [_cell_check(cells.parse_tier, "tier must be 1 or 2 (or Tier 1, Tier 2), or blank")]
        ),
        "measure_type": _optional(
            [
                _cell_check(
                    cells.parse_measure_type,
                    "measure_type must be snapshot or cumulative (a year-to-date count), "
                    "or blank for snapshot",
                )
            ]
        ),
    }
    for column in TARGET_COLUMNS:
        columns[column] = _optional([_cell_check(cells.parse_number, _target_reason(column))])
    return pa.DataFrameSchema(
        columns,
        unique=[*RETURN_KEY, "ref"],
        report_duplicates="all",
        # Lineage and unknown extra columns ride along unchecked.
        strict=False,
    )


def normalise_required_cells(rows: pl.DataFrame) -> pl.DataFrame:
    """A required cell of spaces is blank, made null so not-nullable catches it; a ref's
    letters are one indicator in either case (`E&S-25a` is `E&S-25A`)."""
    return rows.with_columns(
        cells.blank_to_null(pl.col(column)).alias(column) for column in REQUIRED_COLUMNS
    ).with_columns(pl.col("ref").str.to_uppercase())
