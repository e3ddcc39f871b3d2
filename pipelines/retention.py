"""Retention of Dagster's own records. Dagster's open-source instance keeps every
run and its event log for ever (dagster.yaml can only age out schedule and
sensor ticks), so the team prunes them: `python -m pipelines prune
--older-than-days N`. The warehouse is not touched: its audit trail and raw
returns are kept for good."""

from __future__ import annotations

import datetime as dt

from dagster import DagsterInstance, RunsFilter


def prune_runs(older_than_days: int, instance: DagsterInstance | None = None) -> int:
    """Delete the runs (with their event logs) that finished more than N days ago."""
    if older_than_days < 1:
        raise ValueError("keep at least a day of runs")
    instance = instance or DagsterInstance.get()
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=older_than_days)
    old = instance.get_run_records(RunsFilter(updated_before=cutoff))
    for record in old:
        instance.delete_run(record.dagster_run.run_id)
    return len(old)
