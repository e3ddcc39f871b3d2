"""Partition ranges follow the calendar, not the order quarters were discovered in:
a run over some quarters covers exactly the quarters between them by date, and the
latest quarter is the latest by date."""

from __future__ import annotations

from types import SimpleNamespace

from dagster import DagsterInstance

from assets.raw_returns import requested_quarters
from pipelines.partitions import FINANCIAL_QUARTERS, add_quarters, partition_range
from pipelines.quarters import Quarter
from pipelines.run import _quarters_to_run


def test_quarters_discovered_out_of_order_are_kept_in_calendar_order() -> None:
    with DagsterInstance.ephemeral() as instance:
        add_quarters(instance, ["2024-25-Q2"])
        add_quarters(instance, ["2021-22-Q4", "2021-22-Q2"])
        add_quarters(instance, ["2024-25-Q1"])
        assert instance.get_dynamic_partitions(FINANCIAL_QUARTERS.name) == [
            "2021-22-Q2", "2021-22-Q4", "2024-25-Q1", "2024-25-Q2",
        ]  # fmt: skip


def test_a_range_dagster_resolves_holds_only_the_quarters_between_by_date() -> None:
    with DagsterInstance.ephemeral() as instance:
        add_quarters(instance, ["2024-25-Q2"])
        tags, _ = _quarters_to_run(instance, ["2021-22-Q4", "2021-22-Q2"])
        first = tags["dagster/asset_partition_range_start"]
        last = tags["dagster/asset_partition_range_end"]
        assert (first, last) == ("2021-22-Q2", "2021-22-Q4")
        # What Dagster runs the partitioned models for: the partitions from the first to
        # the last, in the order it keeps them.
        keys = list(FINANCIAL_QUARTERS.get_partition_keys(dynamic_partitions_store=instance))
        assert keys[keys.index(first) : keys.index(last) + 1] == ["2021-22-Q2", "2021-22-Q4"]
        # What ingest records as the quarters asked for.
        context = SimpleNamespace(run=SimpleNamespace(tags=tags), instance=instance)
        assert requested_quarters(context) == [Quarter(2021, 2), Quarter(2021, 4)]


def test_the_range_of_a_run_is_its_earliest_and_latest_quarter_by_date() -> None:
    assert partition_range(["2024-25-Q2", "2021-22-Q4", "2023-24-Q1"]) == (
        "2021-22-Q4",
        "2024-25-Q2",
    )
