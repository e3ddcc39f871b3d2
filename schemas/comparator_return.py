"""The Pandera gate for comparator returns: the values of a comparator group's members.

One row per member authority of a comparator group (`CIPFA nearest neighbours`,
`DfE statistical neighbours`), for an indicator and the period the values are
for. A member's value may be blank or N/A (not supplied); text that is not a
number rejects the row, since a wrong value would move every member's quartile.
A member appears once per indicator, group and period of a return.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from schemas import cells
from schemas.gate_checks import (
    RETURN_KEY,
    ReturnGate,
    authority_column,
    cell_check,
    optional,
    passes_each_distinct,
    reporting_period_column,
    required,
    typed_return_key,
)
from schemas.indicator_return import REF_PATTERN
from schemas.return_contract import (
    COMPARATOR_COLUMNS,
    COMPARATOR_RETURN,
)

BLANK_REASONS: dict[str, str] = {
    "authority": "authority is blank: every row needs the council whose return it is, "
    "e.g. St Helens",
    "reporting_period": "reporting_period is blank: every row needs the quarter the return "
    "is as at, e.g. 2024-25 Q2",
    "ref": "ref is blank: every row needs the indicator's reference, e.g. CYP-006",
    "polarity": "polarity is blank: every row needs Higher or Lower (which way is better)",
    "comparator_group": "comparator_group is blank: every row needs the group it compares "
    "within, e.g. DfE statistical neighbours",
    "comparator_period": "comparator_period is blank: every row needs the period the values "
    "are for, e.g. 2022/23",
    "member_authority": "member_authority is blank: every row needs the group member its "
    "value is for",
}
DUPLICATE_REASON = (
    "member_authority appears more than once for this indicator, group and period in this "
    "return: each member has one value, so neither row was loaded"
)
# A value may be left out (blank, N/A, -); anything else must be a number.
_VALUE_OR_NOT_SUPPLIED = pa.Check(
    passes_each_distinct(
        lambda cell: cells.is_not_applicable(cell) | cells.parse_number(cell).is_not_null()
    ),
    error="value is not a number: write the member's value as a number such as 71, 9.6% or "
    "1,400, or leave it blank (or N/A) where it was not supplied",
)


def comparator_return_schema() -> pa.DataFrameSchema:
    columns: dict[str, pa.Column] = {column: optional() for column in COMPARATOR_COLUMNS}
    columns |= {
        "authority": authority_column(),
        "reporting_period": reporting_period_column(),
        "ref": required(
            [
                pa.Check.str_matches(
                    REF_PATTERN,
                    error="ref is not an indicator reference: expected letters (and &), a dash, "
                    "digits and an optional letter, e.g. CYP-006",
                )
            ]
        ),
        "polarity": required(
            [
                cell_check(
                    cells.parse_polarity,
                    "polarity must be Higher or Lower: which way is better for the indicator",
                )
            ]
        ),
        "comparator_group": required([]),
        "comparator_period": required([]),
        "member_authority": required([]),
        "value": optional([_VALUE_OR_NOT_SUPPLIED]),
        "quartile_method": optional(
            [
                cell_check(
                    cells.parse_quartile_method,
                    "quartile_method must be LAIT (DfE's, the default when blank), OHID "
                    "(phe_quantile) or NTILE",
                )
            ]
        ),
    }
    group_member = ["ref", "comparator_group", "comparator_period", "member_authority"]
    return pa.DataFrameSchema(
        columns, unique=[*RETURN_KEY, *group_member], report_duplicates="all", strict=False
    )


def type_rows(rows: pl.DataFrame) -> pl.DataFrame:
    cells_read = cells.DistinctCells(rows)
    read = cells_read.read
    text = cells.blank_to_null
    return rows.select(
        *typed_return_key(cells_read),
        read("ref", text),
        read("indicator", text),
        read("polarity", cells.parse_polarity),
        read("comparator_group", text),
        read("comparator_period", text),
        read("member_authority", text),
        read("value", cells.parse_number),
        read("value", cells.value_note).alias("value_note"),
        read("quartile_method", cells.parse_quartile_method),
        "extra_columns",
    )


GATE = ReturnGate(
    kind=COMPARATOR_RETURN,
    description="periods, polarity, each member authority's value as a number and the "
    "quartile method asked for",
    schema=comparator_return_schema,
    type_rows=type_rows,
    blank_reasons=BLANK_REASONS,
    duplicate_column="member_authority",
    upper_case_columns=("ref",),
    duplicate_reason=DUPLICATE_REASON,
)
