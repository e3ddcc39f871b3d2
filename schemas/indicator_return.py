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

from schemas import cells
from schemas.gate_checks import (
    RETURN_KEY,
    ReturnGate,
    authority_column,
    cell_check,
    formula_check,
    optional,
    reporting_period_column,
    required,
    typed_return_key,
)
from schemas.return_contract import (
    CONTRACT_COLUMNS,
    INDICATOR_RETURN,
    TARGET_COLUMNS,
    VALUE_COLUMNS,
)

# ASCII only: a look-alike digit (Arabic-Indic, full-width) would make another indicator.
REF_PATTERN = r"^[A-Za-z&]+-[0-9]+[A-Za-z]?$"

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


def indicator_return_schema() -> pa.DataFrameSchema:
    columns: dict[str, pa.Column] = {column: optional() for column in CONTRACT_COLUMNS}
    columns |= {
        "authority": authority_column(),
        "reporting_period": reporting_period_column(),
        "priority": required(
            [
                cell_check(
                    cells.parse_priority_number,
                    "priority has no priority number: expected 1 to 6 or text such as "
                    "'Priority 3 - Create safe and strong communities'",
                )
            ]
        ),
        "ref": required(
            [
                formula_check("ref", "an indicator reference"),
                cell_check(
                    lambda cell: pl.when(cell.str.contains(REF_PATTERN)).then(cell),
                    "ref is not an indicator reference: expected letters (and &), a dash, "
                    "digits and an optional letter, e.g. CYP-006, E&S-05, CYP-008A or E&S-25a",
                    formulas_pass=True,
                ),
            ]
        ),
        "indicator": required([]),
        "polarity": required(
            [
                cell_check(
                    cells.parse_polarity,
                    "polarity must be Higher or Lower: which way is better for the indicator",
                )
            ]
        ),
        "tier": optional(
            [cell_check(cells.parse_tier, "tier must be 1 or 2 (or Tier 1, Tier 2), or blank")]
        ),
        "measure_type": optional(
            [
                cell_check(
                    cells.parse_measure_type,
                    "measure_type must be snapshot or cumulative (a year-to-date count), "
                    "or blank for snapshot",
                )
            ]
        ),
    }
    for column in TARGET_COLUMNS:
        columns[column] = optional(
            [
                formula_check(column, "a number"),
                cell_check(cells.parse_number, _target_reason(column), formulas_pass=True),
            ]
        )
    return pa.DataFrameSchema(
        columns,
        unique=[*RETURN_KEY, "ref"],
        report_duplicates="all",
        # Lineage and unknown extra columns ride along unchecked.
        strict=False,
    )


def type_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """The accepted rows with each cell read as the contract says."""
    cells_read = cells.DistinctCells(rows)
    read = cells_read.read
    text = cells.blank_to_null
    return rows.select(
        *typed_return_key(cells_read),
        read("priority", cells.parse_priority_number).alias("priority_number"),
        read("priority", cells.parse_priority_name).alias("priority_name"),
        read("outcome", text),
        read("tier", cells.parse_tier),
        read("ref", text),
        read("indicator", text),
        read("frequency", text),
        read("polarity", cells.parse_polarity),
        read("measure_type", cells.parse_measure_type),
        *(read(c, cells.parse_number) for c in TARGET_COLUMNS),
        *(
            series
            for c in VALUE_COLUMNS
            for series in (
                read(c, cells.parse_number),
                read(c, cells.value_note).alias(f"{c}_note"),
            )
        ),
        read("reported_variance", cells.parse_number),
        read("reported_variance", text).alias("reported_variance_text"),
        read("reported_variance", _unreadable(cells.parse_number)).alias(
            "reported_variance_unreadable"
        ),
        read("reported_trend", cells.parse_reported_trend),
        read("reported_trend", text).alias("reported_trend_text"),
        read("reported_trend", _unreadable(cells.parse_reported_trend)).alias(
            "reported_trend_unreadable"
        ),
        read("comparative_quartile", cells.parse_quartile),
        read("comparative_quartile", text).alias("comparative_quartile_text"),
        read("comparative_quartile", _unreadable(cells.parse_quartile)).alias(
            "comparative_quartile_unreadable"
        ),
        pl.coalesce(
            read("comparator_period", text),
            read("comparative_quartile", cells.parse_cell_comparator_period),
        ).alias("comparator_period"),
        pl.coalesce(
            read("england_average", cells.parse_number),
            read("comparative_quartile", _average("Eng|England")),
        ).alias("england_average"),
        pl.coalesce(
            read("comparator_average", cells.parse_number),
            read("comparative_quartile", _average("LA|NW|SN|CIPFA")),
        ).alias("comparator_average"),
        read("commentary", text),
        "extra_columns",
    )


def _unreadable(reads: Callable[[pl.Expr], pl.Expr]) -> Callable[[pl.Expr], pl.Expr]:
    return lambda cell: cells.unreadable(cell, reads)


def _average(label: str) -> Callable[[pl.Expr], pl.Expr]:
    return lambda cell: cells.parse_cell_average(cell, label)


GATE = ReturnGate(
    kind=INDICATOR_RETURN,
    description="numbers (per cents in points), notes for value cells that hold text, periods, "
    "priority numbers, polarity, quartiles, printed trends",
    schema=indicator_return_schema,
    type_rows=type_rows,
    blank_reasons=BLANK_REASONS,
    duplicate_column="ref",
    upper_case_columns=("ref",),
    duplicate_reason=DUPLICATE_REF_REASON,
)
