"""The columns of each kind of return, as ../shared/return-template.md defines them.

Everything that needs to know a column's name or role imports it from here:
the reader that finds the header, the Pandera gate and the typed table it writes.
Three kinds of return share the returns folder, told apart by their header: an
indicator return (a scorecard row per indicator), a milestone return (a row per
service-plan milestone: it has `milestone_ref`) and a comparator return (a row
per member authority of a comparator group: it has `member_authority`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

REQUIRED_COLUMNS: tuple[str, ...] = (
    "authority",
    "reporting_period",
    "priority",
    "ref",
    "indicator",
    "polarity",
)

TARGET_COLUMNS: tuple[str, ...] = ("target", "target_q1", "target_q2", "target_q3", "target_q4")

QUARTER_COLUMNS: tuple[str, ...] = ("q1", "q2", "q3", "q4")

# Financial-year order: April is month 1, March month 12.
MONTH_COLUMNS: tuple[str, ...] = (
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
    "jan",
    "feb",
    "mar",
)

# Cells that hold an observed value; text in them is kept as the value's note.
VALUE_COLUMNS: tuple[str, ...] = (
    "previous_outturn",
    *QUARTER_COLUMNS,
    "outturn",
    *MONTH_COLUMNS,
    "same_period_last_year",
)

# Printed by the service; never a reason to reject a row.
PRINTED_COLUMNS: tuple[str, ...] = (
    "reported_variance",
    "reported_trend",
    "comparative_quartile",
    "comparator_period",
    "england_average",
    "comparator_average",
)

DESCRIPTIVE_COLUMNS: tuple[str, ...] = (
    "outcome",
    "tier",
    "frequency",
    "measure_type",
    "commentary",
)

CONTRACT_COLUMNS: tuple[str, ...] = (
    *REQUIRED_COLUMNS,
    *DESCRIPTIVE_COLUMNS,
    *TARGET_COLUMNS,
    *VALUE_COLUMNS,
    *PRINTED_COLUMNS,
)


MILESTONE_REQUIRED_COLUMNS: tuple[str, ...] = (
    "authority",
    "reporting_period",
    "objective_ref",
    "milestone_ref",
    "milestone",
)
MILESTONE_COLUMNS: tuple[str, ...] = (
    *MILESTONE_REQUIRED_COLUMNS,
    "directorate",
    "department",
    "objective",
    "corporate_priority",
    "progress",
    "commentary",
)

COMPARATOR_REQUIRED_COLUMNS: tuple[str, ...] = (
    "authority",
    "reporting_period",
    "ref",
    "polarity",
    "comparator_group",
    "comparator_period",
    "member_authority",
)
COMPARATOR_COLUMNS: tuple[str, ...] = (
    *COMPARATOR_REQUIRED_COLUMNS,
    "indicator",
    "value",
    "quartile_method",
)


# Cached: thousands of returns repeat the same few dozen header cells.
@functools.lru_cache(maxsize=4096)
def header_key(name: str) -> str:
    """A header cell as the contract matches it: case, outer spaces and `_` vs space ignored."""
    return re.sub(r"\s+", " ", name.replace("_", " ")).strip().casefold()


@dataclass(frozen=True)
class ReturnKind:
    name: str  # indicator, milestone or comparator: raw.returns.return_kind
    required: tuple[str, ...]
    columns: tuple[str, ...]
    row_noun: str  # what one row of the return is

    def column_by_header_key(self) -> dict[str, str]:
        return {header_key(column): column for column in self.columns}


INDICATOR_RETURN = ReturnKind("indicator", REQUIRED_COLUMNS, CONTRACT_COLUMNS, "indicator")
MILESTONE_RETURN = ReturnKind(
    "milestone", MILESTONE_REQUIRED_COLUMNS, MILESTONE_COLUMNS, "milestone"
)
COMPARATOR_RETURN = ReturnKind(
    "comparator", COMPARATOR_REQUIRED_COLUMNS, COMPARATOR_COLUMNS, "member authority"
)
RETURN_KINDS: tuple[ReturnKind, ...] = (INDICATOR_RETURN, MILESTONE_RETURN, COMPARATOR_RETURN)

# raw.returns holds every kind: each column once, a row filling its own kind's.
RAW_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(column for kind in RETURN_KINDS for column in kind.columns)
)


def kind_of_header(cells: list[str | None]) -> ReturnKind:
    """The kind of return a header row starts: the column only that kind has decides."""
    keys = {header_key(cell) for cell in cells if cell}
    if header_key("milestone_ref") in keys:
        return MILESTONE_RETURN
    if header_key("member_authority") in keys:
        return COMPARATOR_RETURN
    return INDICATOR_RETURN
