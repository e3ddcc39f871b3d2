"""The quarterly schedule and the returns-folder sensor, evaluated as the daemon would."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import pytest
from dagster import (
    DagsterInstance,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    build_schedule_context,
    build_sensor_context,
    instance_for_test,
    partition_loading_context,
)

from pipelines.automation import quarterly_cron
from pipelines.definitions import BUILD_WAREHOUSE_JOB, defs
from pipelines.partitions import FINANCIAL_QUARTERS
from pipelines.resources import ReturnsFolder
from tests.conftest import indicator_row, return_csv

SCHEDULE = defs.resolve_schedule_def("quarterly_run")
SENSOR = defs.resolve_sensor_def("new_or_changed_returns")


def test_both_are_off_until_someone_turns_them_on() -> None:
    assert SCHEDULE.default_status == DefaultScheduleStatus.STOPPED
    assert SENSOR.default_status == DefaultSensorStatus.STOPPED
    assert SCHEDULE.job_name == SENSOR.job_name == BUILD_WAREHOUSE_JOB


def test_the_schedule_runs_the_quarter_that_closed_days_before() -> None:
    assert SCHEDULE.cron_schedule == "0 6 28 1,4,7,10 *"
    assert quarterly_cron(14) == "0 6 14 1,4,7,10 *"
    with pytest.raises(ValueError, match="must be 1 to 28"):
        quarterly_cron(45)
    with instance_for_test() as instance:
        context = build_schedule_context(
            instance=instance,
            scheduled_execution_time=dt.datetime(2024, 10, 28, 6),
            repository_def=defs.get_repository_def(),
        )
        request = SCHEDULE.evaluate_tick(context).run_requests[0]
        assert request.partition_key == "2024-25-Q2"
        assert instance.get_dynamic_partitions(FINANCIAL_QUARTERS.name) == ["2024-25-Q2"]


def evaluate_sensor(instance: DagsterInstance, folder: Path, cursor: str | None):
    """A tick as the daemon evaluates it, partitions loaded from the instance."""
    context = build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"returns_folder": ReturnsFolder(path=str(folder))},
        definitions=defs,
    )
    with partition_loading_context(dynamic_partitions_store=instance):
        return SENSOR.evaluate_tick(context)


def test_the_sensor_runs_the_quarter_of_each_new_or_changed_return(tmp_path: Path) -> None:
    q2 = tmp_path / "q2.csv"
    q2.write_text(return_csv([indicator_row()]))
    (tmp_path / "last-year.csv").write_text(
        return_csv([indicator_row(reporting_period="2023-24 Q4")])
    )
    with instance_for_test() as instance:
        first = evaluate_sensor(instance, tmp_path, None)
        assert sorted(r.partition_key for r in first.run_requests) == ["2023-24-Q4", "2024-25-Q2"]
        assert instance.get_dynamic_partitions(FINANCIAL_QUARTERS.name) == [
            "2023-24-Q4", "2024-25-Q2",
        ]  # fmt: skip
        quiet = evaluate_sensor(instance, tmp_path, first.cursor)
        assert quiet.skip_message == "No return is new or changed since the last look."
        # A corrected return, saved over the old one.
        time.sleep(0.01)
        q2.write_text(return_csv([indicator_row(q2="120")]))
        os.utime(q2)
        changed = evaluate_sensor(instance, tmp_path, first.cursor)
        assert [r.partition_key for r in changed.run_requests] == ["2024-25-Q2"]
        assert json.loads(changed.cursor).keys() == {"q2.csv", "last-year.csv"}


def test_an_unreadable_new_file_starts_no_run_but_is_remembered(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    with instance_for_test() as instance:
        result = evaluate_sensor(instance, tmp_path, None)
    assert result.run_requests == []
    assert "empty.csv" in json.loads(result.cursor)
