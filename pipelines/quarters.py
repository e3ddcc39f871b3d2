"""A financial quarter, April to March, as one value: `Quarter(2024, 2)` is the warehouse's
`2024-25 Q2` and Dagster's partition `2024-25-Q2`.

Every Python module that names, reads, orders or steps a quarter does it with `Quarter`;
the SQL models do it with the macros of sql/macros/periods.sql. The two meet in the
ordinal (`index`): `quarter_index` is the formula of the macro `rules.quarter_index`, and
tests/test_quarter.py holds them to agree. What people type in a return's
`reporting_period` (`2024/25 Q2`, `Quarter 2 2024/25`, `2021-22 Outturn`) is read at the
gate, a whole column at a time, by schemas/cells.py into a start year and a quarter
number: the two fields of a `Quarter`.

No Dagster here, so the report command and the report writers name quarters without
paying Dagster's import; pipelines/partitions.py makes the partition keys Dagster's.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TypeVar

# The warehouse's `2024-25 Q2` and the partition's `2024-25-Q2`: the one character between
# the year and the quarter is all that differs. Matched whole, in ASCII digits: `$` would
# let a key with a line break after it through.
_KEY = re.compile(r"(\d{4})-(\d{2})([ -])Q([1-4])", re.ASCII)
_PARTITION_SEPARATOR = "-"

Number = TypeVar("Number")


def quarter_index(start_year: Number, number: Number) -> Number:
    """The ordinal of a quarter: consecutive quarters have consecutive indexes, across
    years too. The same formula as the SQL macro `rules.quarter_index`, on ints or on
    Polars expressions alike."""
    return start_year * 4 + number - 1


@dataclass(frozen=True, order=True)
class Quarter:
    """A financial quarter: the calendar year its financial year starts in (2024 for
    2024-25) and its number in that year (1 is April to June). Quarters order as dates."""

    start_year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"a financial year has quarters 1 to 4, not {self.number}")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """The quarter of the warehouse's `2024-25 Q2` or the partition key `2024-25-Q2`."""
        return cls._read(text, separators=(" ", _PARTITION_SEPARATOR))

    @classmethod
    def from_partition_key(cls, key: str) -> Quarter:
        """The quarter of a Dagster partition key, `2024-25-Q2` only: a key spelt another
        way would be another partition of the same quarter, so it is refused."""
        return cls._read(key, separators=(_PARTITION_SEPARATOR,))

    @classmethod
    def from_index(cls, index: int) -> Quarter:
        """The quarter whose ordinal is `index`, as the SQL macros
        `rules.quarter_index_start_year` and `rules.quarter_index_number` read it."""
        return cls(index // 4, index % 4 + 1)

    @classmethod
    def closed_before(cls, moment: dt.datetime) -> Quarter:
        """The last quarter that ended before `moment` (Q1 ends 30 June)."""
        fiscal_month = (moment.month - 4) % 12 + 1  # April is 1
        start_year = moment.year if moment.month >= 4 else moment.year - 1
        return cls(start_year, (fiscal_month - 1) // 3 + 1).previous()

    @classmethod
    def _read(cls, text: str, separators: tuple[str, ...]) -> Quarter:
        match = _KEY.fullmatch(text)
        if (
            not match
            or match.group(3) not in separators
            or (int(match.group(1)) + 1) % 100 != int(match.group(2))
        ):
            raise ValueError(f"'{text}' is not a financial quarter such as 2024-25-Q2")
        return cls(int(match.group(1)), int(match.group(4)))

    @property
    def financial_year(self) -> str:
        """`2024-25`."""
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    @property
    def name(self) -> str:
        """`Q2`: the quarter within its year."""
        return f"Q{self.number}"

    @property
    def key(self) -> str:
        """`2024-25 Q2`: the warehouse's reporting_period, as `rules.quarter_period_key`."""
        return f"{self.financial_year} {self.name}"

    @property
    def partition_key(self) -> str:
        """`2024-25-Q2`: the quarter's Dagster partition, a spelling existing run history
        keeps."""
        return f"{self.financial_year}{_PARTITION_SEPARATOR}{self.name}"

    @property
    def index(self) -> int:
        return quarter_index(self.start_year, self.number)

    def next(self) -> Quarter:
        return Quarter.from_index(self.index + 1)

    def previous(self) -> Quarter:
        return Quarter.from_index(self.index - 1)

    def year_earlier(self) -> Quarter:
        return Quarter(self.start_year - 1, self.number)

    def year_end(self) -> Quarter:
        """The last quarter of this quarter's financial year: its outturn."""
        return Quarter(self.start_year, 4)

    def year_to_date(self) -> list[Quarter]:
        """The quarters of the financial year up to and including this one."""
        return [Quarter(self.start_year, number) for number in range(1, self.number + 1)]
