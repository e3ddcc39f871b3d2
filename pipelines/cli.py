"""The command line.

    python -m pipelines run [--period 2024-25-Q2 ...] [--returns-dir DIR] [--warehouse PATH]
                            [--force]
    python -m pipelines report --period 2024-25-Q2 [--warehouse PATH]
    python -m pipelines prune --older-than-days 365

`run` executes the same Dagster job as `dagster dev`'s "Materialize all", in
this process, recorded in the project's Dagster storage, and prints what a
person needs to know: what was read, what was rejected and why, what was
built, what the checks found, whether the warehouse was published. Without
--period it builds every financial quarter a return in the folder is as at.
When nothing it would read has changed since the run that last published the
warehouse (pipelines/up_to_date.py), it says so and does nothing; --force runs anyway.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pipelines.paths import (
    DEFAULT_EXPECTED_RETURNS,
    DEFAULT_REPORTS_DIR,
    DEFAULT_RETURNS_DIR,
    DEFAULT_WAREHOUSE,
    EXPECTATIONS_DIR,
    PROJECT_ROOT,
)
from pipelines.up_to_date import RunInputs


def use_project_dagster_home() -> None:
    """Point Dagster at the project's dagster.yaml and git-ignored storage, unless set."""
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT))
    storage = Path(os.environ.setdefault("DAGSTER_STORAGE_DIR", str(PROJECT_ROOT / ".dagster")))
    os.environ.setdefault("DAGSTER_COMPUTE_LOGS_DIR", str(storage / "compute_logs"))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="read the returns, build, check and publish")
    run.add_argument(
        "--period",
        action="append",
        default=[],
        metavar="QUARTER",
        help="a financial quarter to build, e.g. 2024-25-Q2 (repeat for more; default: "
        "every quarter a return in the folder is as at)",
    )
    run.add_argument(
        "--returns-dir",
        type=Path,
        default=DEFAULT_RETURNS_DIR,
        help=f"folder of returns, searched recursively (default: {DEFAULT_RETURNS_DIR})",
    )
    run.add_argument(
        "--warehouse",
        type=Path,
        default=DEFAULT_WAREHOUSE,
        help=f"the published DuckDB file (default: {DEFAULT_WAREHOUSE})",
    )
    run.add_argument(
        "--expected-returns",
        type=Path,
        default=DEFAULT_EXPECTED_RETURNS,
        help=f"the expected-returns register (default: {DEFAULT_EXPECTED_RETURNS})",
    )
    run.add_argument(
        "--expectations-dir",
        type=Path,
        default=EXPECTATIONS_DIR,
        help=f"Great Expectations suites (default: {EXPECTATIONS_DIR})",
    )
    run.add_argument(
        "--reports-dir",
        type=Path,
        default=DEFAULT_REPORTS_DIR,
        help=f"where the data-quality report goes (default: {DEFAULT_REPORTS_DIR})",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="run even when nothing has changed since the last published run",
    )
    prune = commands.add_parser(
        "prune", help="delete Dagster's records of runs (and their event logs) older than N days"
    )
    prune.add_argument("--older-than-days", type=int, required=True, metavar="N")
    report = commands.add_parser(
        "report", help="write a quarter's reports (HTML and Excel) from the published warehouse"
    )
    report.add_argument("--period", required=True, metavar="QUARTER", help="e.g. 2024-25-Q2")
    report.add_argument(
        "--warehouse",
        type=Path,
        default=DEFAULT_WAREHOUSE,
        help=f"the published DuckDB file (default: {DEFAULT_WAREHOUSE})",
    )
    report.add_argument(
        "--reports-dir",
        type=Path,
        default=DEFAULT_REPORTS_DIR,
        help=f"reports go in its quarterly/ folder (default: {DEFAULT_REPORTS_DIR})",
    )
    commands.add_parser(
        "data-dictionary", help="rewrite docs/data-dictionary.md from the SQL models"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    use_project_dagster_home()
    # Imported after the environment is set: Dagster reads it when the instance loads.
    if arguments.command == "data-dictionary":
        from pipelines.data_dictionary import DATA_DICTIONARY, write

        write()
        print(f"Wrote {DATA_DICTIONARY}")
        return 0
    if arguments.command == "report":
        return _report(parser, arguments)
    if arguments.command == "prune":
        from pipelines.retention import prune_runs

        deleted = prune_runs(arguments.older_than_days)
        print(f"Deleted {deleted} run(s) older than {arguments.older_than_days} days.")
        return 0
    if not arguments.returns_dir.is_dir():
        parser.error(f"the returns folder {arguments.returns_dir} does not exist")
    inputs = RunInputs(
        arguments.returns_dir.resolve(),
        arguments.warehouse.resolve(),
        arguments.period,
        arguments.expected_returns.resolve(),
        arguments.expectations_dir.resolve(),
        arguments.reports_dir.resolve(),
    )
    # Checked before Dagster is imported: an up-to-date warehouse answers at once.
    fingerprint = inputs.fingerprint()
    unchanged = inputs.unchanged_since_last_published_run(fingerprint)
    if unchanged and not arguments.force:
        print(unchanged)
        return 0
    from pipelines.partitions import reporting_period
    from pipelines.run import run_pipeline

    for key in arguments.period:
        try:
            reporting_period(key)
        except ValueError as error:
            parser.error(str(error))
    outcome = run_pipeline(
        arguments.returns_dir.resolve(),
        arguments.warehouse.resolve(),
        quarters=arguments.period,
        reports_dir=arguments.reports_dir.resolve(),
        expected_returns=arguments.expected_returns.resolve(),
        expectations_dir=arguments.expectations_dir.resolve(),
    )
    print(outcome.summary())
    if outcome.succeeded and outcome.published:
        inputs.record_published(fingerprint, outcome.run_id)
    return 0 if outcome.succeeded else 1


def _report(parser: argparse.ArgumentParser, arguments: argparse.Namespace) -> int:
    import duckdb

    from pipelines.partitions import reporting_period
    from pipelines.report.files import write_reports
    from pipelines.resources import ReportsFolder

    try:
        period = reporting_period(arguments.period)
    except ValueError as error:
        parser.error(str(error))
    if not arguments.warehouse.is_file():
        parser.error(f"there is no warehouse at {arguments.warehouse}: run the pipeline first")
    folder = ReportsFolder(path=str(arguments.reports_dir.resolve())).quarterly
    with duckdb.connect(str(arguments.warehouse), read_only=True) as connection:
        written = write_reports(connection, period, folder)
    if not written:
        print(f"The warehouse holds no returns as at {period}: no report written.")
        return 1
    print("\n".join(f"Wrote {path}" for path in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
