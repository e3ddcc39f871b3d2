"""Financial quarters by name: keys like `2024-25-Q2`, April to March, and the warehouse's
`2024-25 Q2`.

Plain string rules with no Dagster in them, so the report command and the report
writers name quarters without paying Dagster's import; pipelines/partitions.py
makes these keys Dagster's partitions.
"""

from __future__ import annotations

import datetime as dt
import re

_KEY = re.compile(r"^(\d{4})-(\d{2})-Q([1-4])$")


def partition_key(financial_year_start: int, quarter: int) -> str:
    return f"{financial_year_start}-{(financial_year_start + 1) % 100:02d}-Q{quarter}"


def reporting_period(key: str) -> str:
    """The warehouse's name for a partition's quarter: `2024-25-Q2` is `2024-25 Q2`."""
    match = _KEY.match(key)
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError(f"'{key}' is not a financial quarter such as 2024-25-Q2")
    return key[:7] + " " + key[8:]


def partition_key_of(period: str) -> str:
    """The partition of a warehouse reporting period: `2024-25 Q2` is `2024-25-Q2`."""
    key = period.replace(" ", "-")
    reporting_period(key)
    return key


def quarter_closed_before(moment: dt.datetime) -> str:
    """The last financial quarter that ended before `moment` (Q1 ends 30 June)."""
    fiscal_month = (moment.month - 4) % 12 + 1  # April is 1
    start_year = moment.year if moment.month >= 4 else moment.year - 1
    current_quarter = (fiscal_month - 1) // 3 + 1
    if current_quarter == 1:
        return partition_key(start_year - 1, 4)
    return partition_key(start_year, current_quarter - 1)


def year_and_quarter(key: str) -> tuple[int, int]:
    """`2024-25-Q2` is (2024, 2): the financial year's start and the quarter."""
    return int(key[:4]), int(key[-1])


def in_calendar_order(quarters: list[str]) -> list[str]:
    """Partition keys earliest first: `2024-25-Q2` sorts as a date would."""
    return sorted(set(quarters), key=year_and_quarter)
