"""The Pandera gate for milestone returns (Halton's form): a row per service-plan milestone.

A milestone needs its authority, reporting period, objective, reference and text;
its progress may be blank (none was given) but, where given, must be one of the
three the reports use. A milestone appears once per return.
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
    reporting_period_column,
    required,
    typed_return_key,
)
from schemas.return_contract import MILESTONE_COLUMNS, MILESTONE_RETURN

BLANK_REASONS: dict[str, str] = {
    "authority": "authority is blank: every row needs the reporting council, e.g. Halton",
    "reporting_period": "reporting_period is blank: every row needs the quarter the return "
    "is as at, e.g. 2024-25 Q2",
    "objective_ref": "objective_ref is blank: every milestone needs the service objective it "
    "serves, e.g. CYP P1",
    "milestone_ref": "milestone_ref is blank: every row needs the milestone's reference, e.g. P1.1",
    "milestone": "milestone is blank: every row needs the milestone's text",
}
DUPLICATE_REASON = (
    "milestone_ref appears more than once in this return: each milestone must be reported "
    "once per return, so neither row was loaded"
)
PROGRESS_REASON = (
    "progress is not a progress symbol: expected on course (a tick, ✓, green), uncertain "
    "(?, amber) or not achieved (a cross, ✗, x, red), or blank where none was given"
)


def milestone_return_schema() -> pa.DataFrameSchema:
    columns: dict[str, pa.Column] = {column: optional() for column in MILESTONE_COLUMNS}
    columns |= {
        "authority": authority_column(),
        "reporting_period": reporting_period_column(),
        "objective_ref": required([]),
        "milestone_ref": required([]),
        "milestone": required([]),
        "progress": optional([cell_check(cells.parse_progress, PROGRESS_REASON)]),
    }
    return pa.DataFrameSchema(
        columns, unique=[*RETURN_KEY, "milestone_ref"], report_duplicates="all", strict=False
    )


TEXT_COLUMNS = (
    "directorate",
    "department",
    "objective_ref",
    "objective",
    "corporate_priority",
    "milestone_ref",
    "milestone",
)


def type_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """The accepted rows with each cell read as the contract says; text kept whole."""
    cells_read = cells.DistinctCells(rows)
    read = cells_read.read
    text = cells.blank_to_null
    return rows.select(
        *typed_return_key(cells_read),
        *(read(c, text) for c in TEXT_COLUMNS),
        read("progress", cells.parse_progress),
        read("progress", text).alias("progress_text"),
        read("commentary", text),
        "extra_columns",
    )


GATE = ReturnGate(
    kind=MILESTONE_RETURN,
    description="periods, and progress read from its symbol or words (on course, uncertain, "
    "not achieved; blank where none was given)",
    schema=milestone_return_schema,
    type_rows=type_rows,
    blank_reasons=BLANK_REASONS,
    duplicate_column="milestone_ref",
    duplicate_reason=DUPLICATE_REASON,
)
