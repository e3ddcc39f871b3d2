"""The command line: `python -m pipelines run [--returns-dir DIR] [--warehouse PATH]`.

It runs the same Dagster job as `dagster dev`'s "Materialize all", in this
process, recorded in the project's Dagster storage, and prints what a person
needs to know: what was read, what was rejected and why, what was built.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pipelines.paths import DEFAULT_RETURNS_DIR, DEFAULT_WAREHOUSE, PROJECT_ROOT


def use_project_dagster_home() -> None:
    """Point Dagster at the project's dagster.yaml and git-ignored storage, unless set."""
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT))
    storage = Path(os.environ.setdefault("DAGSTER_STORAGE_DIR", str(PROJECT_ROOT / ".dagster")))
    os.environ.setdefault("DAGSTER_COMPUTE_LOGS_DIR", str(storage / "compute_logs"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="read the returns and build the warehouse")
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
        help=f"the DuckDB file to build (default: {DEFAULT_WAREHOUSE})",
    )
    arguments = parser.parse_args(argv)
    if not arguments.returns_dir.is_dir():
        parser.error(f"the returns folder {arguments.returns_dir} does not exist")
    use_project_dagster_home()
    # Imported after the environment is set: Dagster reads it on import of the instance.
    from pipelines.run import run_pipeline

    outcome = run_pipeline(arguments.returns_dir.resolve(), arguments.warehouse.resolve())
    print(outcome.summary())
    return 0 if outcome.succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
