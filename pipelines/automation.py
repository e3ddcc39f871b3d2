"""When runs happen without anyone starting them: a quarterly schedule and a sensor on
the returns folder. Both are off until someone turns them on (see the README), and
they run only while the Dagster daemon runs (`make dev` starts one).

- The schedule runs the quarter that has just closed, a number of days after it
  closed, since returns arrive late: `days_after_quarter_end` in the settings
  file (at most 28 so that every month has the day; 06:00 UK time).
- The sensor looks at the returns folder every minute and runs the quarter of
  every return that is new or has changed since it last looked.
"""

from __future__ import annotations

import json

from dagster import (
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    schedule,
    sensor,
)

from pipelines.partitions import add_quarters, in_calendar_order, quarters_of_files
from pipelines.quarters import Quarter
from pipelines.readers.return_files import discover_returns
from pipelines.resources import ReturnsFolder


def quarterly_cron(days_after_quarter_end: int) -> str:
    """At 06:00 on that day of the month after each quarter ends (July, October, January,
    April): the day of the month is the number of days after quarter end."""
    if not 1 <= days_after_quarter_end <= 28:
        raise ValueError(
            "the days after quarter end must be 1 to 28 (a day every month has), "
            f"not {days_after_quarter_end}"
        )
    return f"0 6 {days_after_quarter_end} 1,4,7,10 *"


def build_quarterly_schedule(job_name: str, days_after_quarter_end: int) -> ScheduleDefinition:
    @schedule(
        job_name=job_name,
        cron_schedule=quarterly_cron(days_after_quarter_end),
        execution_timezone="Europe/London",
        default_status=DefaultScheduleStatus.STOPPED,
        description="Builds the financial quarter that has just closed, at 06:00 UK time "
        f"{days_after_quarter_end} days after it closed (days_after_quarter_end in the "
        "settings file).",
    )
    def quarterly_run(context: ScheduleEvaluationContext) -> RunRequest:
        quarter = Quarter.closed_before(context.scheduled_execution_time).partition_key
        add_quarters(context.instance, [quarter])
        return RunRequest(partition_key=quarter, run_key=quarter)

    return quarterly_run


def build_returns_sensor(job_name: str) -> SensorDefinition:
    @sensor(
        job_name=job_name,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.STOPPED,
        description="Builds the quarter of each return that is new or changed in the folder.",
    )
    def new_or_changed_returns(
        context: SensorEvaluationContext, returns_folder: ReturnsFolder
    ) -> SensorResult | SkipReason:
        root = returns_folder.root
        # Size and modification time, not a hash: looking must stay cheap when the
        # folder holds years of returns. The run itself hashes what it loads.
        seen_now = {
            path.relative_to(root).as_posix(): f"{path.stat().st_size}:{path.stat().st_mtime_ns}"
            for path in discover_returns(root)
        }
        seen_before = json.loads(context.cursor) if context.cursor else {}
        changed = sorted(name for name, seen in seen_now.items() if seen_before.get(name) != seen)
        if not changed:
            return SkipReason("No return is new or changed since the last look.")
        quarters = in_calendar_order(list(quarters_of_files([root / name for name in changed])))
        add_quarters(context.instance, quarters)
        fingerprint = ",".join(f"{name}={seen_now[name]}" for name in changed)
        return SensorResult(
            run_requests=[
                RunRequest(partition_key=quarter, run_key=f"{quarter}|{fingerprint}")
                for quarter in quarters
            ],
            cursor=json.dumps(seen_now),
        )

    return new_or_changed_returns
