"""The command line.

    python -m pipelines run [--period 2024-25-Q2 ...] [--returns-dir DIR] [--warehouse PATH]
                            [--reports-dir DIR] [--expected-returns CSV] [--verbose] [--force]
                            [--full-refresh]
    python -m pipelines report --period 2024-25-Q2 [--warehouse PATH] [--reports-dir DIR]
    python -m pipelines prune --older-than-days 365 [--warehouse PATH]
    python -m pipelines validate FILE_OR_FOLDER... [--warehouse PATH] [--replaces RETURN_PATH]
    python -m pipelines dev          (Dagster's UI and daemon: what `make dev` runs)

The folders and files default to the settings file, settings.toml (see
pipelines/settings.py); an option here overrides a setting for this run only.

`run` executes the same Dagster job as `dagster dev`'s "Materialize all", in
this process, recorded in the warehouse's own Dagster history beside it. It
prints each stage as it ends, then what a person needs to know: what was read,
what was rejected and why, what was built, what the checks and the data-quality
checks found, where the reports went, whether the warehouse was published.
Without --period it builds every financial quarter a return in the folder is as at.
When nothing it would read has changed since the run that last published the
warehouse (pipelines/up_to_date.py), it says so and does nothing; --force runs anyway.
--full-refresh runs too, and builds the incremental models whole from the validated
returns, where a run rebuilds them only for what changed.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path

from pipelines.paths import EXPECTATIONS_DIR, PROJECT_ROOT
from pipelines.printable import escaped, quoted_name
from pipelines.quarters import Quarter
from pipelines.settings import Settings, SettingsError, history_of, load_settings
from pipelines.up_to_date import RunInputs


def use_history_of(warehouse: Path) -> None:
    """Point Dagster at the project's dagster.yaml and at the warehouse's own history,
    `warehouse.dagster/` beside it (DAGSTER_STORAGE_DIR, where set, says otherwise)."""
    os.environ["DAGSTER_HOME"] = str(PROJECT_ROOT)
    storage = Path(os.environ.setdefault("DAGSTER_STORAGE_DIR", str(history_of(warehouse))))
    os.environ.setdefault("DAGSTER_COMPUTE_LOGS_DIR", str(storage / "compute_logs"))


def _parser(settings: Settings) -> argparse.ArgumentParser:
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
        default=settings.returns_dir,
        help=f"folder of returns, searched recursively (setting: {settings.returns_dir})",
    )
    run.add_argument(
        "--warehouse",
        type=Path,
        default=settings.warehouse,
        help=f"the published DuckDB file (setting: {settings.warehouse})",
    )
    run.add_argument(
        "--expected-returns",
        type=Path,
        default=settings.expected_returns,
        help=f"the expected-returns register (setting: {settings.expected_returns})",
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
        help=f"where the reports go (setting: {settings.reports_dir}; for another "
        "--warehouse, a folder beside it named after it, warehouse.reports/)",
    )
    run.add_argument(
        "--verbose", action="store_true", help="show Dagster's own log of the run as well"
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="run even when nothing has changed since the last published run",
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="build every incremental model whole, from the validated returns, rather than "
        "only for what changed (implies --force)",
    )
    prune = commands.add_parser(
        "prune", help="delete Dagster's records of runs (and their event logs) older than N days"
    )
    prune.add_argument("--older-than-days", type=int, required=True, metavar="N")
    prune.add_argument(
        "--warehouse",
        type=Path,
        default=settings.warehouse,
        help=f"the warehouse whose history is pruned (setting: {settings.warehouse})",
    )
    report = commands.add_parser(
        "report", help="write a quarter's reports (HTML and Excel) from the published warehouse"
    )
    report.add_argument("--period", required=True, metavar="QUARTER", help="e.g. 2024-25-Q2")
    report.add_argument(
        "--warehouse",
        type=Path,
        default=settings.warehouse,
        help=f"the published DuckDB file (setting: {settings.warehouse})",
    )
    report.add_argument(
        "--reports-dir",
        type=Path,
        help=f"reports go in its quarterly/ folder (setting: {settings.reports_dir})",
    )
    validate = commands.add_parser(
        "validate",
        help="check return files as a run would, before they are sent; writes nothing",
        description="Judge return files with the run's own reader, gate and checks (against "
        "their history in the published warehouse, if there is one) and print what must be "
        "fixed (the run would refuse it) and what must be explained (a finding). Exit status "
        "1 when anything must be fixed. Nothing is written to the warehouse.",
    )
    validate.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="a return file, or a folder: every return in it, as a run finds them",
    )
    validate.add_argument(
        "--warehouse",
        type=Path,
        default=settings.warehouse,
        help=f"the published DuckDB file whose history the files are judged against, read "
        f"only (setting: {settings.warehouse})",
    )
    validate.add_argument(
        "--returns-dir",
        type=Path,
        default=settings.returns_dir,
        help="a file under this folder is judged as the new version of the file there "
        f"(setting: {settings.returns_dir})",
    )
    validate.add_argument(
        "--replaces",
        metavar="RETURN_PATH",
        help="judge the FILE (one only) as the new version of the return at this path "
        "under the returns folder, as its query sheet names it, "
        "e.g. st-helens/2024-25/Q2/priority-3.csv",
    )
    validate.add_argument(
        "--expected-returns",
        type=Path,
        default=settings.expected_returns,
        help=f"the expected-returns register (setting: {settings.expected_returns})",
    )
    commands.add_parser(
        "data-dictionary", help="rewrite docs/data-dictionary.md from the SQL models"
    )
    commands.add_parser(
        "dev",
        help="start Dagster's UI and daemon on the settings' warehouse (what `make dev` runs)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"python -m pipelines: {escaped(str(error))}", file=sys.stderr)
        return 2
    parser = _parser(settings)
    arguments = parser.parse_args(argv)
    warehouse = getattr(arguments, "warehouse", settings.warehouse).resolve()
    use_history_of(warehouse)
    # Imported after the environment is set: Dagster reads it when the instance loads.
    if arguments.command == "data-dictionary":
        from pipelines.data_dictionary import DATA_DICTIONARY, write

        write()
        print(f"Wrote {DATA_DICTIONARY}")
        return 0
    if arguments.command == "dev":
        return _dev()
    if arguments.command == "report":
        reports_dir = settings.with_warehouse(warehouse, arguments.reports_dir).reports_dir
        return _report(parser, arguments.period, warehouse, reports_dir.resolve())
    if arguments.command == "validate":
        return _validate(parser, arguments)
    if arguments.command == "prune":
        from pipelines.retention import prune_runs

        deleted = prune_runs(arguments.older_than_days)
        print(f"Deleted {deleted} run(s) older than {arguments.older_than_days} days.")
        return 0
    return _run(parser, arguments, settings.with_warehouse(warehouse, arguments.reports_dir))


def _run(parser: argparse.ArgumentParser, arguments: argparse.Namespace, run: Settings) -> int:
    if not arguments.returns_dir.is_dir():
        parser.error(f"the returns folder {quoted_name(arguments.returns_dir)} does not exist")
    # Refused before anything slow starts: a mistyped quarter is answered at once.
    for key in arguments.period:
        try:
            Quarter.from_partition_key(key)
        except ValueError as error:
            parser.error(str(error))
    inputs = RunInputs(
        arguments.returns_dir.resolve(),
        run.warehouse,
        arguments.period,
        arguments.expected_returns.resolve(),
        arguments.expectations_dir.resolve(),
        run.reports_dir.resolve(),
    )
    # Checked before Dagster is imported: an up-to-date warehouse answers at once.
    fingerprint = inputs.fingerprint()
    unchanged = inputs.unchanged_since_last_published_run(fingerprint)
    if unchanged and not (arguments.force or arguments.full_refresh):
        print(unchanged)
        return 0
    # Before Dagster and DuckDB are loaded: the process is forked from this one.
    from pipelines import expectations_process
    from pipelines.quick_imports import imports_kept_from_collection

    expectations_process.start_early()
    with imports_kept_from_collection():
        from pipelines.progress import StageProgress
        from pipelines.run import run_pipeline

    progress = StageProgress()
    progress.line(
        f"Building {quoted_name(run.warehouse)} from the returns in "
        f"{quoted_name(arguments.returns_dir.resolve())}"
    )
    try:
        outcome = run_pipeline(
            arguments.returns_dir.resolve(),
            run.warehouse,
            quarters=arguments.period,
            reports_dir=run.reports_dir.resolve(),
            expected_returns=arguments.expected_returns.resolve(),
            expectations_dir=arguments.expectations_dir.resolve(),
            on_event=progress,
            verbose=arguments.verbose,
            full_refresh=arguments.full_refresh,
        )
    except Exception as error:  # noqa: BLE001 - the one place an unforeseen error is caught
        log = _write_crash_log(run.warehouse)
        print(
            f"\nThe run stopped on an error the pipeline does not expect ({escaped(str(error))}). "
            f"The details are in {quoted_name(log)}: send that file to whoever looks after "
            "the pipeline.",
            file=sys.stderr,
        )
        return 1
    finally:
        expectations_process.stop()
    progress.line("")
    progress.line(outcome.summary())
    if outcome.succeeded and outcome.published:
        inputs.record_published(fingerprint, outcome.run_id)
    return 0 if outcome.succeeded else 1


def _write_crash_log(warehouse: Path) -> Path:
    import datetime as dt
    import tempfile

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    for folder in (history_of(warehouse) / "failed-runs", Path(tempfile.gettempdir())):
        path = folder / f"run-{stamp}-stopped.log"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(traceback.format_exc(), encoding="utf-8")
        except OSError:
            continue
        return path
    raise RuntimeError("no folder could hold the log of the error")


def _report(
    parser: argparse.ArgumentParser, period_key: str, warehouse: Path, reports_dir: Path
) -> int:
    import duckdb

    from pipelines.paths import QUARTERLY_REPORTS_FOLDER
    from pipelines.report.files import write_reports

    try:
        period = Quarter.from_partition_key(period_key).key
    except ValueError as error:
        parser.error(str(error))
    if not warehouse.is_file():
        parser.error(f"there is no warehouse at {quoted_name(warehouse)}: run the pipeline first")
    folder = reports_dir / QUARTERLY_REPORTS_FOLDER
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        written = write_reports(connection, period, folder)
    if not written:
        print(f"The warehouse holds no returns as at {period}: no report written.")
        return 1
    print("\n".join(f"Wrote {quoted_name(path)}" for path in written))
    return 0


def _validate(parser: argparse.ArgumentParser, arguments: argparse.Namespace) -> int:
    from assets.reference_data import RegisterError
    from pipelines.readers.return_files import discover_returns
    from pipelines.validate import UnreadableWarehouseError, describe, validate_returns

    files: list[Path] = []
    for path in arguments.files:
        if path.is_dir():
            found = discover_returns(path)
            if not found:
                parser.error(f"{path} holds no .csv or .xlsx file")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            parser.error(f"there is no file {path}")
    if arguments.replaces is not None and len(files) != 1:
        parser.error("--replaces names the return one FILE replaces: give one FILE")
    try:
        validation = validate_returns(
            files,
            returns_dir=arguments.returns_dir,
            warehouse=arguments.warehouse,
            expected_returns=arguments.expected_returns,
            replacing=arguments.replaces,
        )
    except (RegisterError, UnreadableWarehouseError) as error:
        parser.exit(2, f"{parser.prog} validate: {error}\n")
    print(describe(validation))
    return 1 if validation.must_fix.height else 0


def _dev() -> int:
    """`dagster dev` in the project folder, on the settings' warehouse and its history.
    Dagster's notice that `dg dev` supersedes it is for Dagster's own projects: this one
    is loaded from pyproject.toml, which `dagster dev` reads."""
    from dagster import SupersessionWarning
    from dagster._cli.dev import dev_command

    os.chdir(PROJECT_ROOT)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=SupersessionWarning)
        return dev_command.main(args=[], prog_name="dagster dev", standalone_mode=False) or 0


if __name__ == "__main__":
    sys.exit(main())
