"""The checks every kind of return's Pandera gate is made of.

Each check carries the reason a service lead reads in `quarantine.rejected_rows`:
what is wrong and what was expected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from pipelines.quarters import quarter_index
from schemas import cells
from schemas.return_contract import ReturnKind

# What traces a row back to its file; every validated table starts with these.
LINEAGE_COLUMNS = ("file_path", "file_hash", "sheet", "row_number", "loaded_at")

# The file version a row belongs to: a return is one authority's, as at one period.
RETURN_KEY = ("file_path", "file_hash")


def typed_return_key(cells_read: cells.DistinctCells) -> list[pl.Series | str]:
    """The first columns of every validated table: the row's lineage, and the authority and
    the period of the return it is in."""
    return [
        *LINEAGE_COLUMNS,
        cells_read.read("authority", cells.blank_to_null),
        cells_read.read("reporting_period", cells.parse_financial_year_start).alias(
            "financial_year_start"
        ),
        cells_read.read("reporting_period", cells.parse_period_quarter).alias("reporting_quarter"),
    ]


def passes_each_distinct(
    passes: Callable[[pl.Expr], pl.Expr],
) -> Callable[[PolarsData], pl.LazyFrame]:
    """A Pandera check function judging each distinct cell of its column once."""

    def check(data: PolarsData) -> pl.LazyFrame:
        column = data.lazyframe.select(data.key).collect().to_series()
        return cells.read_each_distinct(column, passes).to_frame().lazy()

    return check


REPORTING_PERIOD_REASON = (
    "reporting_period is not a financial year and quarter: expected e.g. "
    "2024-25 Q2, 2024/25 Q2, Q2 2024-25, Quarter 2 2024/25 or 2021-22 Outturn"
)


def cell_check(
    reads: Callable[[pl.Expr], pl.Expr], reason: str, *, formulas_pass: bool = False
) -> pa.Check:
    """A check that passes where the cell is blank or `reads` makes something of it; with
    `formulas_pass`, where it holds a formula too (formula_check gives that reason)."""

    def passes(cell: pl.Expr) -> pl.Expr:
        readable = cells.blank_to_null(cell).is_null() | reads(cell).is_not_null()
        return readable | cells.is_formula(cell) if formulas_pass else readable

    return pa.Check(passes_each_distinct(passes), error=reason)


def formula_check(column: str, what: str) -> pa.Check:
    """A check that fails where the cell holds a formula with no saved value."""
    return pa.Check(
        passes_each_distinct(lambda cell: ~cells.is_formula(cell).fill_null(value=False)),
        error=f"{column} holds a formula with no saved value, not {what}: type {what} "
        "itself, or open the workbook in Excel and save it, so that the formula's value is "
        "saved with it",
    )


def same_in_whole_file(reads: Callable[[pl.Expr], pl.Expr], reason: str) -> pa.Check:
    """A check that a cell agrees with the rest of its file: a return is one authority's,
    as at one period. A row that differs from the file's most common value fails; a
    cell that cannot be read at all fails its own check instead."""

    def check(data: PolarsData) -> pl.LazyFrame:
        cell = data.lazyframe.select(data.key).collect().to_series()
        value = pl.col("cell_reading")
        most_common = value.drop_nulls().mode().sort().first().over(list(RETURN_KEY))
        return data.lazyframe.with_columns(
            cells.read_each_distinct(cell, reads).alias("cell_reading")
        ).select(value.is_null() | (value == most_common))

    return pa.Check(check, error=reason)


def quarter_of_period(cell: pl.Expr) -> pl.Expr:
    """The quarter a reporting_period cell names, as its ordinal: `2024-25 Q2` and
    `Quarter 2 2024/25` are one quarter."""
    return quarter_index(cells.parse_financial_year_start(cell), cells.parse_period_quarter(cell))


def required(checks: list[pa.Check]) -> pa.Column:
    # Blank text is made null before validation, so not-nullable is "not blank".
    return pa.Column(pl.Utf8, checks=checks, nullable=False)


def optional(checks: list[pa.Check] | None = None) -> pa.Column:
    return pa.Column(pl.Utf8, checks=checks or [], nullable=True)


def reporting_period_column() -> pa.Column:
    """Required, readable as a financial quarter, and the same in the whole file."""
    return required(
        [
            cell_check(
                lambda cell: pl.when(cells.parse_period_quarter(cell).is_not_null()).then(
                    cells.parse_financial_year_start(cell)
                ),
                REPORTING_PERIOD_REASON,
            ),
            same_in_whole_file(
                quarter_of_period,
                "reporting_period differs from the other rows of this file: a return is as "
                "at one quarter, so put this row in that quarter's return",
            ),
        ]
    )


def authority_column() -> pa.Column:
    """Required, and the same in the whole file."""
    return required(
        [
            same_in_whole_file(
                cells.blank_to_null,
                "authority differs from the other rows of this file: a return holds one "
                "authority's figures, so put this row in that authority's own return",
            )
        ]
    )


@dataclass(frozen=True)
class ReturnGate:
    """What the gate needs to judge one kind of return and write its accepted rows."""

    kind: ReturnKind
    description: str  # what its cells are read into, for the validated table's asset
    schema: Callable[[], pa.DataFrameSchema]
    type_rows: Callable[[pl.DataFrame], pl.DataFrame]  # LINEAGE_COLUMNS first
    blank_reasons: dict[str, str]  # a required column: what to write in it
    duplicate_column: str  # the column named when a row repeats another of its return
    duplicate_reason: str
    upper_case_columns: tuple[str, ...] = ()  # codes one in either case (`E&S-25a`)

    @property
    def table(self) -> str:
        """The accepted rows, typed: validated.<kind>_returns."""
        return f"validated.{self.kind.name}_returns"

    def normalise(self, rows: pl.DataFrame) -> pl.DataFrame:
        """A required cell of spaces is blank, made null so not-nullable catches it; a code's
        letters are the same code in either case."""
        return rows.with_columns(
            cells.blank_to_null(pl.col(column)).alias(column) for column in self.kind.required
        ).with_columns(pl.col(column).str.to_uppercase() for column in self.upper_case_columns)
