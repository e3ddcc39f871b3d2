"""Running the build_warehouse job and saying what it did.

The job runs in this process, from the repository's own definitions, and is
recorded as a run of `build_warehouse` in the code location `dagster dev`
loads: the job's Runs tab in the UI lists the command line's runs beside the
UI's, the schedule's and the sensor's.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
from dagster import AssetKey, DagsterEvent, DagsterEventType, DagsterInstance
from dagster._core.definitions.reconstruct import ReconstructableRepository
from dagster._core.execution.api import execute_run_iterator
from dagster._core.remote_origin import RemoteJobOrigin, RemoteRepositoryOrigin
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)
from dagster._core.workspace.load import location_origin_from_module_name

from assets.publish import PUBLISHED_WAREHOUSE
from assets.quarterly_reports import QUARTERLY_REPORTS
from assets.return_gate import GATES, VALIDATED_ROWS_SQL
from assets.sql_models import FULL_REFRESH_TAG
from pipelines.definitions import BUILD_WAREHOUSE_JOB, UNPARTITIONED_ASSETS, defs
from pipelines.partitions import (
    add_quarters,
    in_calendar_order,
    partition_range,
    quarters_in_folder,
)
from pipelines.paths import EXPECTATIONS_DIR, PROJECT_ROOT
from pipelines.printable import escaped, quoted_name
from pipelines.quality_report import flag_counts, write_quality_report
from pipelines.quarters import Quarter
from pipelines.query_sheets import write_query_sheets
from pipelines.resources import (
    ReportsFolder,
    Warehouse,
    WarehouseBusyError,
    build_lock,
    fetch_row,
)
from pipelines.settings import history_of, load_settings
from pipelines.sql_models.checks import FINDINGS_CHECK

# The summary names this many rejected rows; the rest are in the quarantine table.
REJECTED_ROWS_SHOWN = 20

# The order a return goes through the schemas, for the summary's count of tables.
SCHEMA_ORDER = (
    "raw", "reference", "quarantine", "validated", "staging", "intermediate", "marts",
    "quality", "audit",
)  # fmt: skip


@dataclass(frozen=True)
class FailedCheck:
    name: str
    severity: str
    blocking: bool
    # A data-quality check model's finding: for people to act on, not a fault of the tables.
    is_finding: bool = False

    def __str__(self) -> str:
        return f"{self.severity} check {self.name}" + (" (blocking)" if self.blocking else "")


@dataclass
class RunOutcome:
    succeeded: bool
    returns_dir: Path
    warehouse: Path
    build_warehouse: Path
    run_id: str
    quarters: list[str] = field(default_factory=list)
    published: bool = False
    # False when the run was refused before it started (another run held the warehouse).
    started: bool = True
    seconds: float = 0.0
    quality_report: Path | None = None
    report_files: list[Path] = field(default_factory=list)
    flags_by_severity: dict[str, int] = field(default_factory=dict)
    tables_built: list[str] = field(default_factory=list)
    failed_checks: list[FailedCheck] = field(default_factory=list)
    checks_passed: int = 0
    findings_checks: int = 0
    failed_steps: list[tuple[str, str]] = field(default_factory=list)
    failure_log: Path | None = None
    counts: dict[str, int] = field(default_factory=dict)
    rejected_files: list[tuple[str, str]] = field(default_factory=list)
    rejected_rows: list[tuple[str, int, str, str | None, str]] = field(default_factory=list)

    @property
    def reporting_periods(self) -> list[str]:
        return [Quarter.from_partition_key(key).key for key in self.quarters]

    def summary(self) -> str:
        if not self.started:
            (_, reason), *_ = self.failed_steps
            return "\n".join([
                f"Run not started: {escaped(reason)}.",
                f"Warehouse: {quoted_name(self.warehouse)} was not touched by this run.",
            ])  # fmt: skip
        c = self.counts
        took = f" in {self.seconds:.1f} s" if self.seconds else ""
        lines = [
            f"Run {self.run_id}: {'succeeded' if self.succeeded else 'FAILED'}{took}",
            f"Returns folder: {quoted_name(self.returns_dir)}",
            f"Quarters: {', '.join(self.quarters) or 'none found'}",
        ]
        if c:
            lines += [
                f"Files: {c['files_found']} in the folder: {c['files_loaded']} loaded, "
                f"{c['files_rejected']} rejected",
                f"Rows: {c['rows_read']} read = {c['rows_valid']} valid + "
                f"{c['rows_rejected']} rejected",
            ]
        for path, reason in self.rejected_files:
            lines.append(f"  rejected file {quoted_name(path)}: {escaped(reason)}")
        for path, row, column, value, reason in self.rejected_rows:
            lines.append(
                f"  rejected {quoted_name(path)} row {row}, column {escaped(column)} "
                f"({value!r}): {escaped(reason)}"
            )
        if c.get("rejection_failures", 0) > len(self.rejected_rows):
            lines.append(
                f"  ... {c['rejection_failures']} failures in all: "
                "SELECT * FROM quarantine.rejected_rows"
            )
        lines.append(self._tables_line())
        lines += self._checks_lines()
        log = f"; the full error is in {quoted_name(self.failure_log)}" if self.failure_log else ""
        lines += [
            f"  The run failed at step {name}: {escaped(error)}. Put that right and run again{log}."
            for name, error in self.failed_steps
        ]
        if self.flags_by_severity:
            findings = ", ".join(
                f"{n} {severity}" for severity, n in self.flags_by_severity.items()
            )
            lines.append(
                f"Data quality of the quarters run: {findings} findings: "
                "SELECT * FROM quality.dq_flags"
                + (f", or open {quoted_name(self.quality_report)}" if self.quality_report else "")
            )
            found = sorted(check.name for check in self.failed_checks if check.is_finding)
            if found:
                lines.append(
                    f"  found by {len(found)} of the {self.findings_checks} data-quality checks: "
                    + ", ".join(_check_model(name) for name in found)
                )
        lines += self._reports_lines()
        if self.published:
            lines.append(f"Warehouse: {quoted_name(self.warehouse)} (published)")
        else:
            lines.append(
                f"Warehouse: NOT published; {quoted_name(self.warehouse)} is as the last "
                "published run left it. What this run read and built is in "
                f"{quoted_name(self.build_warehouse)}"
            )
        return "\n".join(lines)

    def _tables_line(self) -> str:
        by_schema: dict[str, int] = {}
        for table in self.tables_built:
            schema = table.split(".")[0]
            by_schema[schema] = by_schema.get(schema, 0) + 1
        order = [*SCHEMA_ORDER, *sorted(by_schema.keys() - set(SCHEMA_ORDER))]
        counts = ", ".join(
            f"{schema} {by_schema[schema]}" for schema in order if schema in by_schema
        )
        schemas = f" in {len(by_schema)} schema{'s' if len(by_schema) != 1 else ''}"
        return f"Tables built: {len(self.tables_built)}" + (
            f"{schemas}: {counts}" if counts else ""
        )

    def _checks_lines(self) -> list[str]:
        """The checks that the tables are right. A data-quality finding is not among them:
        it is about a return, for people to act on, and is counted with the findings."""
        faults = [check for check in self.failed_checks if not check.is_finding]
        failed = [c for c in faults if c.blocking or c.severity == "ERROR"]
        warned = [c for c in faults if c not in failed]
        line = f"Checks: {self.checks_passed} passed, {len(failed)} failed"
        if warned:
            line += f", {len(warned)} with a warning"
        return [line] + [f"  {check}" for check in [*failed, *warned]]

    def _reports_lines(self) -> list[str]:
        lines = []
        if self.report_files:
            folders = sorted({path.parent for path in self.report_files})
            lines.append(
                f"Reports: {len(self.report_files)} files in "
                + ", ".join(quoted_name(folder) for folder in folders)
            )
        if self.quality_report:
            lines.append(
                f"Data-quality page: {quoted_name(self.quality_report.with_name('latest.html'))}"
            )
        return lines


def _check_model(check: str) -> str:
    """`quality/check_value_outlier:found_nothing` is the check `value_outlier`."""
    return check.split("/")[-1].split(":")[0].removeprefix("check_")


def run_pipeline(
    returns_dir: Path,
    warehouse: Path,
    *,
    quarters: Sequence[str] = (),
    reports_dir: Path | None = None,
    expected_returns: Path | None = None,
    expectations_dir: Path = EXPECTATIONS_DIR,
    instance: DagsterInstance | None = None,
    on_event: Callable[[DagsterEvent], None] | None = None,
    verbose: bool = False,
    full_refresh: bool = False,
) -> RunOutcome:
    """Build the warehouse for the given financial quarters (`2024-25-Q2`), by default
    every quarter a return in the folder is as at, in one run; with `full_refresh`, every
    incremental model built whole. Settings not given are the settings file's, for this
    warehouse (pipelines/settings.py)."""
    started = time.monotonic()
    settings = load_settings().with_warehouse(warehouse, reports_dir)
    instance = instance or DagsterInstance.get()
    # Ordering the keys refuses one that is not a financial quarter.
    quarters = in_calendar_order(quarters) or quarters_in_folder(returns_dir)
    try:
        with build_lock(warehouse):
            outcome = _run(
                returns_dir, warehouse, quarters, settings.reports_dir,
                expected_returns or settings.expected_returns, expectations_dir, instance,
                on_event, verbose, full_refresh,
            )  # fmt: skip
    except WarehouseBusyError as busy:
        return RunOutcome(
            succeeded=False, returns_dir=returns_dir, warehouse=warehouse,
            build_warehouse=Warehouse(path=str(warehouse)).build_path, run_id="not started",
            quarters=quarters, failed_steps=[("start", str(busy))], published=False,
            started=False,
        )  # fmt: skip
    outcome.seconds = time.monotonic() - started
    return outcome


def _run(
    returns_dir: Path,
    warehouse: Path,
    quarters: list[str],
    reports_dir: Path,
    expected_returns: Path,
    expectations_dir: Path,
    instance: DagsterInstance,
    on_event: Callable[[DagsterEvent], None] | None,
    verbose: bool,
    full_refresh: bool,
) -> RunOutcome:
    run_config: dict[str, object] = {
        "resources": _overridden({
            "warehouse": {"path": str(warehouse)},
            "returns_folder": {"path": str(returns_dir)},
            "reference": {"expected_returns": str(expected_returns)},
            "expectation_suites": {"path": str(expectations_dir)},
            "reports_folder": {"path": str(reports_dir)},
        })
    }  # fmt: skip
    if not verbose:
        # Dagster's log stays in the run's record, for the UI; the terminal shows the stages.
        run_config["loggers"] = {"console": {"config": {"log_level": "CRITICAL"}}}
    run_id, events = _execute(instance, run_config, quarters, on_event, full_refresh)
    evaluations = [
        e.asset_check_evaluation_data
        for e in events
        if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    failed_checks = [
        FailedCheck(
            name=f"{e.asset_key.to_user_string()}:{e.check_name}",
            severity=e.severity.value,
            blocking=e.blocking,
            is_finding=e.check_name == FINDINGS_CHECK,
        )
        for e in evaluations
        if not e.passed
    ]
    materialized = [
        e.step_materialization_data.materialization
        for e in events
        if e.event_type == DagsterEventType.ASSET_MATERIALIZATION
    ]
    step_failures = [e for e in events if e.event_type == DagsterEventType.STEP_FAILURE]
    run_failed = any(e.event_type == DagsterEventType.RUN_FAILURE for e in events)
    outcome = RunOutcome(
        # Findings of non-blocking checks are for people to act on; the run
        # fails only when a step fails or a blocking check finds the tables wrong.
        succeeded=not run_failed and not any(check.blocking for check in failed_checks),
        returns_dir=returns_dir,
        warehouse=warehouse,
        build_warehouse=Warehouse(path=str(warehouse)).build_path,
        run_id=run_id,
        quarters=quarters,
        published=any(m.asset_key == PUBLISHED_WAREHOUSE for m in materialized),
        # Tables only: the published file and the reports are assets, not tables.
        tables_built=sorted(
            {".".join(m.asset_key.path) for m in materialized if len(m.asset_key.path) == 2}
        ),
        report_files=[
            Path(path)
            for m in materialized
            if m.asset_key == QUARTERLY_REPORTS
            for path in (m.metadata["files"].value if "files" in m.metadata else [])
        ],
        failed_checks=failed_checks,
        checks_passed=sum(e.passed for e in evaluations if e.check_name != FINDINGS_CHECK),
        findings_checks=sum(e.check_name == FINDINGS_CHECK for e in evaluations),
        failed_steps=[(event.step_key or "?", _underlying_error(event)) for event in step_failures],
    )
    if step_failures:
        outcome.failure_log = _write_failure_log(warehouse, run_id, step_failures)
    if outcome.build_warehouse.is_file():
        _read_counts(outcome, outcome.build_warehouse)
        outcome.quality_report = write_quality_report(
            outcome.build_warehouse,
            ReportsFolder(path=str(reports_dir)).data_quality,
            run_id,
            outcome.published,
            outcome.reporting_periods,
        )
        write_query_sheets(outcome.build_warehouse, reports_dir)
    return outcome


def _overridden(wanted: dict[str, dict[str, str]]) -> dict[str, object]:
    """The run config of the resources this run sets otherwise than the settings file:
    a run with the settings has none, and the UI shows what the command line changed."""
    return {
        name: {"config": config}
        for name, config in wanted.items()
        if any(getattr(defs.resources[name], key) != value for key, value in config.items())
    }


def _execute(
    instance: DagsterInstance,
    run_config: dict[str, object],
    quarters: list[str],
    on_event: Callable[[DagsterEvent], None] | None,
    full_refresh: bool,
) -> tuple[str, list[DagsterEvent]]:
    """Run the job in this process, recorded as the UI records its own runs of it: the
    job of the repository's definitions, with the origin of the code location."""
    job = _repository().get_reconstructable_job(BUILD_WAREHOUSE_JOB)
    tags, asset_selection = _quarters_to_run(instance, quarters)
    if full_refresh:
        tags = {**tags, FULL_REFRESH_TAG: "true"}
    if asset_selection:
        job = job.get_subset(asset_selection=asset_selection)
    run = instance.create_run_for_job(
        job_def=job.get_definition(),
        run_config=run_config,
        tags=tags,
        asset_selection=asset_selection,
        job_code_origin=job.get_python_origin(),
        remote_job_origin=job_origin(),
    )
    events = []
    for event in execute_run_iterator(job, run, instance):
        events.append(event)
        if on_event is not None:
            on_event(event)
    return run.run_id, events


@cache
def _repository() -> ReconstructableRepository:
    return ReconstructableRepository.for_module(
        "pipelines.definitions", "defs", working_directory=str(PROJECT_ROOT)
    )


@cache
def job_origin() -> RemoteJobOrigin:
    """Where `dagster dev` finds the job: the code location pyproject.toml names."""
    dagster = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["dagster"]
    location = location_origin_from_module_name(
        dagster["module_name"], None, str(PROJECT_ROOT), location_name=dagster["code_location_name"]
    )
    repository = RemoteRepositoryOrigin(location, defs.get_repository_def().name)
    return repository.get_job_origin(BUILD_WAREHOUSE_JOB)


def _write_failure_log(warehouse: Path, run_id: str, failures: list[DagsterEvent]) -> Path | None:
    """The full errors of the failed steps, stack traces included, for whoever mends it:
    in the warehouse's history folder, or the temporary folder if that cannot be written."""
    text = "\n\n".join(
        f"Step {event.step_key} failed:\n{event.step_failure_data.error.to_string()}"
        for event in failures
        if event.step_failure_data.error is not None
    )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    for folder in (history_of(warehouse) / "failed-runs", Path(tempfile.gettempdir())):
        path = folder / f"run-{stamp}-{run_id[:8]}.log"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(f"Run {run_id} of {BUILD_WAREHOUSE_JOB}\n\n{text}\n", encoding="utf-8")
        except OSError:
            continue
        return path
    return None


def _quarters_to_run(
    instance: DagsterInstance, quarters: list[str]
) -> tuple[dict[str, str], frozenset[AssetKey] | None]:
    """The run's tags and asset selection for these quarters: one partition, or one run
    over the range of partitions that holds them all (a quarter between them is run too:
    its rows are replaced only where its inputs changed)."""
    if not quarters:
        # Nothing readable to assign to a quarter: still read the folder, so every
        # file is loaded or quarantined with its reason.
        return {}, frozenset(UNPARTITIONED_ASSETS)
    add_quarters(instance, quarters)
    if len(quarters) == 1:
        return {PARTITION_NAME_TAG: quarters[0]}, None
    first, last = partition_range(quarters)
    return {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}, None


def _underlying_error(event: DagsterEvent) -> str:
    """The error the step's own code raised, not Dagster's wrapper around it."""
    error = event.step_failure_data.error
    while error is not None and error.cause is not None:
        error = error.cause
    return error.message.strip() if error is not None else "unknown error"


def _read_counts(outcome: RunOutcome, warehouse: Path) -> None:
    """What the run's summary reports, for the files in the folder at this run's scan
    only: an earlier version of a file, corrected since, is history, not news, and so is
    a file no longer in the folder (though it is still a current return, in the tables)."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = {
            f"{schema}.{name}"
            for schema, name in connection.sql(
                "select schema_name, table_name from duckdb_tables()"
            ).fetchall()
        }
        if not tables >= _SUMMARY_TABLES:
            return
        connection.execute(
            "create temp view in_folder as select file_path, file_hash from raw.folder_scans "
            "where scanned_at = (select max(scans.scanned_at) from raw.folder_scans as scans)"
        )
        row = fetch_row(
            connection,
            f"""
            select
                (select count(*) from in_folder),
                (select count(*) from raw.return_files
                    inner join in_folder using (file_path, file_hash)),
                (select count(*) from quarantine.rejected_files
                    inner join in_folder using (file_path, file_hash)),
                (select count(*) from raw.returns
                    inner join in_folder using (file_path, file_hash)),
                (select count(*) from ({VALIDATED_ROWS_SQL})
                    inner join in_folder using (file_path, file_hash)),
                (select count(distinct row(file_path, file_hash, row_number))
                    from quarantine.rejected_rows
                    inner join in_folder using (file_path, file_hash)),
                (select count(*) from quarantine.rejected_rows
                    inner join in_folder using (file_path, file_hash))
            """,
        )
        outcome.counts = dict(zip(_COUNT_NAMES, row, strict=True))
        outcome.flags_by_severity = flag_counts(connection, outcome.reporting_periods)
        outcome.rejected_files = connection.sql(
            "select file_path, reason from quarantine.rejected_files "
            "inner join in_folder using (file_path, file_hash) order by file_path"
        ).fetchall()
        outcome.rejected_rows = connection.sql(
            "select file_path, row_number, column_name, value, reason "
            "from quarantine.rejected_rows inner join in_folder using (file_path, file_hash) "
            "order by file_path, row_number, column_name limit ?",
            params=[REJECTED_ROWS_SHOWN],
        ).fetchall()


_SUMMARY_TABLES = {
    "raw.returns", "raw.return_files", "raw.folder_scans", "quarantine.rejected_files",
    "quarantine.rejected_rows", *(gate.table for gate in GATES),
}  # fmt: skip
_COUNT_NAMES = (
    "files_found", "files_loaded", "files_rejected", "rows_read", "rows_valid",
    "rows_rejected", "rejection_failures",
)  # fmt: skip
