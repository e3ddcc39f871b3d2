"""Financial quarters as Dagster partitions: keys like `2024-25-Q2`, April to March.

The quarters are dynamic: a quarter becomes a partition when a return as at it
is found in the returns folder (by the command line, the sensor or the
schedule), so the partitions are exactly the quarters there is something for.
Dagster keeps dynamic partitions in the order they were added, and a range of
partitions (a multi-quarter run) follows that order; so the partitions are kept
in calendar order, and a range is always named and read here, in that order.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from dagster import DagsterInstance, DynamicPartitionsDefinition

from pipelines.quarters import Quarter
from pipelines.readers.return_files import discover_returns, reporting_periods_typed_in
from schemas import cells

FINANCIAL_QUARTERS = DynamicPartitionsDefinition(name="financial_quarter")


def in_calendar_order(keys: list[str]) -> list[str]:
    """Partition keys earliest first, each once."""
    return sorted(set(keys), key=Quarter.from_partition_key)


def add_quarters(instance: DagsterInstance, quarters: list[str]) -> None:
    """Make each quarter a partition, if it is not one already, keeping the partitions in
    calendar order: a quarter earlier than one already known is added by taking the
    later ones off and adding them again after it. (Taking a partition off keeps its
    runs and materialisations; only its place in the order changes.)"""
    known = list(instance.get_dynamic_partitions(FINANCIAL_QUARTERS.name))
    wanted = in_calendar_order(known + quarters)
    if known == wanted:
        return
    in_place = 0
    while in_place < len(known) and known[in_place] == wanted[in_place]:
        in_place += 1
    for key in known[in_place:]:
        instance.delete_dynamic_partition(FINANCIAL_QUARTERS.name, key)
    instance.add_dynamic_partitions(FINANCIAL_QUARTERS.name, wanted[in_place:])


def partition_range(quarters: list[str]) -> tuple[str, str]:
    """The first and last partition of a run over these quarters, by the calendar."""
    ordered = in_calendar_order(quarters)
    return ordered[0], ordered[-1]


def quarters_in_range(instance: DagsterInstance, first: str, last: str) -> list[str]:
    """The partitions from `first` to `last`, by the calendar, whatever order they were
    added in."""
    earliest, latest = sorted([Quarter.from_partition_key(first), Quarter.from_partition_key(last)])
    return [
        key
        for key in in_calendar_order(list(instance.get_dynamic_partitions(FINANCIAL_QUARTERS.name)))
        if earliest <= Quarter.from_partition_key(key) <= latest
    ]


def quarters_of_files(paths: list[Path]) -> set[str]:
    """The quarters the given return files are as at; unreadable files have none."""
    typed = reporting_periods_typed_in(paths)
    periods = pl.DataFrame({"typed": sorted(typed)}, schema={"typed": pl.Utf8}).select(
        cells.parse_financial_year_start(pl.col("typed")).alias("year"),
        cells.parse_period_quarter(pl.col("typed")).alias("quarter"),
    )
    return {
        Quarter(year, number).partition_key for year, number in periods.drop_nulls().iter_rows()
    }


def quarters_in_folder(returns_dir: Path) -> list[str]:
    """Every quarter a return in the folder is as at, earliest first."""
    return in_calendar_order(list(quarters_of_files(discover_returns(returns_dir))))
