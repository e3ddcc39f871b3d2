"""The columns of an indicator return, as ../shared/return-template.md defines them.

Everything that needs to know a column's name or role imports it from here:
the reader that finds the header, the Pandera gate and the typed table it writes.
"""

from __future__ import annotations

import re

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


def header_key(name: str) -> str:
    """A header cell as the contract matches it: case, outer spaces and `_` vs space ignored."""
    return re.sub(r"\s+", " ", name.replace("_", " ")).strip().casefold()


CONTRACT_COLUMN_BY_HEADER_KEY: dict[str, str] = {header_key(c): c for c in CONTRACT_COLUMNS}
