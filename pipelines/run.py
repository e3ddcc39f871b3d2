"""Running the build_warehouse job in-process and saying what it did."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from dagster import DagsterEvent, DagsterInstance

from assets.publish import PUBLISHED_WAREHOUSE
from assets.return_gate import GATES, VALIDATED_ROWS_SQL
from pipelines.definitions import BUILD_WAREHOUSE_JOB, UNPARTITIONED_ASSETS, defs
from pipelines.partitions import (
    add_quarters,
    partition_range,
    quarters_in_folder,
    reporting_period,
)
from pipelines.paths import DEFAULT_EXPECTED_RETURNS, DEFAULT_REPORTS_DIR, EXPECTATIONS_DIR
from pipelines.quality_report import flag_counts, write_quality_report
from pipelines.query_sheets import write_query_sheets
from pipelines.resources import (
    ReportsFolder,
    Warehouse,
    WarehouseBusyError,
    build_lock,
    fetch_row,
)

# The summary names this many rejected rows; the rest are in the quarantine table.
REJECTED_ROWS_SHOWN = 20


@dataclass(frozen=True)
class FailedCheck:
    name: str
    severity: str
    blocking: bool

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
    quality_report: Path | None = None
    flags_by_severity: dict[str, int] = field(default_factory=dict)
    tables_built: list[str] = field(default_factory=list)
    failed_checks: list[FailedCheck] = field(default_factory=list)
    checks_passed: int = 0
    failed_steps: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    rejected_files: list[tuple[str, str]] = field(default_factory=list)
    rejected_rows: list[tuple[str, int, str, str | None, str]] = field(default_factory=list)

    @property
    def reporting_periods(self) -> list[str]:
        return [reporting_period(key) for key in self.quarters]

    def summary(self) -> str:
        c = self.counts
        lines = [
            f"Run {self.run_id}: {'succeeded' if self.succeeded else 'FAILED'}",
            f"Returns folder: {self.returns_dir}",
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
            lines.append(f"  rejected file {path}: {reason}")
        for path, row, column, value, reason in self.rejected_rows:
            lines.append(f"  rejected {path} row {row}, column {column} ({value!r}): {reason}")
        if c.get("rejection_failures", 0) > len(self.rejected_rows):
            lines.append(
                f"  ... {c['rejection_failures']} failures in all: "
                "SELECT * FROM quarantine.rejected_rows"
            )
        lines.append(f"Tables built: {len(self.tables_built)} ({', '.join(self.tables_built)})")
        lines.append(f"Checks: {self.checks_passed} passed, {len(self.failed_checks)} failed")
        lines += [f"  {check}" for check in self.failed_checks]
        lines += [f"  FAILED step {name}: {error}" for name, error in self.failed_steps]
        if self.flags_by_severity:
            findings = ", ".join(
                f"{n} {severity}" for severity, n in self.flags_by_severity.items()
            )
            lines.append(
                f"Data quality of the quarters run: {findings} findings: "
                "SELECT * FROM quality.dq_flags"
                + (f", or open {self.quality_report}" if self.quality_report else "")
            )
        if self.published:
            lines.append(f"Warehouse: {self.warehouse} (published)")
        else:
            lines.append(
                f"Warehouse: NOT published; {self.warehouse} is as the last published run left it. "
                f"What this run read and built is in {self.build_warehouse}"
            )
        return "\n".join(lines)


def run_pipeline(
    returns_dir: Path,
    warehouse: Path,
    *,
    quarters: Sequence[str] = (),
    reports_dir: Path = DEFAULT_REPORTS_DIR,
    expected_returns: Path = DEFAULT_EXPECTED_RETURNS,
    expectations_dir: Path = EXPECTATIONS_DIR,
    instance: DagsterInstance | None = None,
) -> RunOutcome:
    """Build the warehouse for the given financial quarters (`2024-25-Q2`), by default
    every quarter a return in the folder is as at, in one run."""
    instance = instance or DagsterInstance.get()
    quarters = sorted(set(quarters)) or quarters_in_folder(returns_dir)
    for key in quarters:
        reporting_period(key)  # refuses a key that is not a financial quarter
    try:
        with build_lock(warehouse):
            return _run(returns_dir, warehouse, quarters, reports_dir, expected_returns,
                        expectations_dir, instance)  # fmt: skip
    except WarehouseBusyError as busy:
        return RunOutcome(
            succeeded=False, returns_dir=returns_dir, warehouse=warehouse,
            build_warehouse=Warehouse(path=str(warehouse)).build_path, run_id="not started",
            quarters=quarters, failed_steps=[("start", str(busy))], published=False,
        )  # fmt: skip


def _run(
    returns_dir: Path,
    warehouse: Path,
    quarters: list[str],
    reports_dir: Path,
    expected_returns: Path,
    expectations_dir: Path,
    instance: DagsterInstance,
) -> RunOutcome:
    job = defs.resolve_job_def(BUILD_WAREHOUSE_JOB)
    warehouse_resource = Warehouse(path=str(warehouse))
    result = job.execute_in_process(
        run_config={
            "resources": {
                "warehouse": {"config": {"path": str(warehouse)}},
                "returns_folder": {"config": {"path": str(returns_dir)}},
                "reference": {"config": {"expected_returns": str(expected_returns)}},
                "expectation_suites": {"config": {"path": str(expectations_dir)}},
                "reports_folder": {"config": {"path": str(reports_dir)}},
            }
        },
        instance=instance,
        raise_on_error=False,
        **_quarters_to_run(instance, quarters),
    )
    evaluations = result.get_asset_check_evaluations()
    failed_checks = [
        FailedCheck(
            name=f"{e.asset_key.to_user_string()}:{e.check_name}",
            severity=e.severity.value,
            blocking=e.blocking,
        )
        for e in evaluations
        if not e.passed
    ]
    outcome = RunOutcome(
        # Findings of non-blocking checks are for people to act on; the run
        # fails only when a step fails or a blocking check finds the tables wrong.
        succeeded=result.success and not any(check.blocking for check in failed_checks),
        returns_dir=returns_dir,
        warehouse=warehouse,
        build_warehouse=warehouse_resource.build_path,
        run_id=result.run_id,
        quarters=quarters,
        published=any(
            event.asset_key == PUBLISHED_WAREHOUSE
            for event in result.get_asset_materialization_events()
        ),
        tables_built=sorted(
            {
                event.asset_key.to_user_string().replace("/", ".")
                for event in result.get_asset_materialization_events()
                if event.asset_key is not None
            }
        ),
        failed_checks=failed_checks,
        checks_passed=sum(e.passed for e in evaluations),
        failed_steps=[
            (event.step_key or "?", _underlying_error(event))
            for event in result.get_step_failure_events()
        ],
    )
    if outcome.build_warehouse.is_file():
        _read_counts(outcome, outcome.build_warehouse)
        outcome.quality_report = write_quality_report(
            outcome.build_warehouse,
            ReportsFolder(path=str(reports_dir)).data_quality,
            result.run_id,
            outcome.published,
            outcome.reporting_periods,
        )
        write_query_sheets(outcome.build_warehouse, reports_dir)
    return outcome


def _quarters_to_run(instance: DagsterInstance, quarters: list[str]) -> dict:
    """How to ask Dagster for these quarters: one partition, or one run over the range
    of partitions that holds them all (a quarter between them is run too: its rows
    are replaced only where its inputs changed)."""
    if not quarters:
        # Nothing readable to assign to a quarter: still read the folder, so every
        # file is loaded or quarantined with its reason.
        return {"asset_selection": list(UNPARTITIONED_ASSETS)}
    add_quarters(instance, quarters)
    if len(quarters) == 1:
        return {"partition_key": quarters[0]}
    first, last = partition_range(quarters)
    return {
        "tags": {
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
        }
    }


def _underlying_error(event: DagsterEvent) -> str:
    """The error the step's own code raised, not Dagster's wrapper around it."""
    error = event.step_failure_data.error
    while error is not None and error.cause is not None:
        error = error.cause
    return error.message.strip() if error is not None else "unknown error"


def _read_counts(outcome: RunOutcome, warehouse: Path) -> None:
    """What the run's summary reports, for the returns now in the folder (the latest scan):
    an earlier version of a file, corrected since, is history, not news."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = {
            f"{schema}.{name}"
            for schema, name in connection.sql(
                "SELECT schema_name, table_name FROM duckdb_tables()"
            ).fetchall()
        }
        if not tables >= _SUMMARY_TABLES:
            return
        connection.execute(
            "CREATE TEMP VIEW current_files AS SELECT file_path, file_hash FROM raw.folder_scans "
            "WHERE scanned_at = (SELECT max(scanned_at) FROM raw.folder_scans)"
        )
        row = fetch_row(
            connection,
            f"""
            SELECT
                (SELECT count(*) FROM current_files),
                (SELECT count(*) FROM raw.return_files
                    JOIN current_files USING (file_path, file_hash)),
                (SELECT count(*) FROM quarantine.rejected_files
                    JOIN current_files USING (file_path, file_hash)),
                (SELECT count(*) FROM raw.returns JOIN current_files USING (file_path, file_hash)),
                (SELECT count(*) FROM ({VALIDATED_ROWS_SQL})
                    JOIN current_files USING (file_path, file_hash)),
                (SELECT count(DISTINCT (file_path, file_hash, row_number))
                    FROM quarantine.rejected_rows JOIN current_files USING (file_path, file_hash)),
                (SELECT count(*) FROM quarantine.rejected_rows
                    JOIN current_files USING (file_path, file_hash))
            """,
        )
        outcome.counts = dict(zip(_COUNT_NAMES, row, strict=True))
        outcome.flags_by_severity = flag_counts(connection, outcome.reporting_periods)
        outcome.rejected_files = connection.sql(
            "SELECT file_path, reason FROM quarantine.rejected_files "
            "JOIN current_files USING (file_path, file_hash) ORDER BY file_path"
        ).fetchall()
        outcome.rejected_rows = connection.sql(
            "SELECT file_path, row_number, column_name, value, reason "
            "FROM quarantine.rejected_rows JOIN current_files USING (file_path, file_hash) "
            "ORDER BY file_path, row_number, column_name LIMIT ?",
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
