"""An empty Dagster history, made once per version of Dagster and copied into each new one.

A new warehouse's history costs Dagster 0.3 s of CPU before the run starts: it creates
the SQLite databases of the runs, the event log's index and the schedules, stamps each
with alembic's revision and marks its data migrations done; and each run's own event
log costs 0.06 s more the same way. Each of those statements is its own synced commit:
372 syncs of the disk for a new history and its first run's event log (19 when copied),
seconds whenever other work keeps the disk busy. For one version of Dagster the databases it makes
are always the same, so they are made once, by Dagster's own storage classes, in the
project's cache (`make setup` makes them, or the first run that finds none), and a new
history gets copies. Where a database is already there it is left alone, and where no
copy can be made Dagster makes it as before: the template only saves time. A copy's
record of its data migrations (`secondary_indexes`) is dated when the copy is made, as
Dagster dates it, so a copy is what Dagster would have made at that moment.

    python -m pipelines.history_template    (what `make setup` runs)
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from dagster.version import __version__ as dagster_version

from pipelines.paths import PROJECT_ROOT

TEMPLATES = PROJECT_ROOT / ".cache" / "dagster-history"
# Inside a history folder (DagsterSqliteStorage's layout): the runs, the event log's
# index and the schedules.
STORAGE_DATABASES = ("history/runs.db", "history/runs/index.db", "schedules/schedules.db")
# A run's own event log as Dagster makes it before its first event, kept beside them.
RUN_EVENT_LOG = "run-event-log.db"


def template_folder() -> Path:
    return TEMPLATES / dagster_version


def make_template() -> Path | None:
    """The template for this version of Dagster, made now if there is none: None when the
    cache cannot be written (a new history is then made by Dagster as before)."""
    folder = template_folder()
    if folder.is_dir():
        return folder
    try:
        TEMPLATES.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=".building-", dir=TEMPLATES))
    except OSError:
        return None
    try:
        _build(building)
        # Whole or not at all; a process that made one first wins, and this one is discarded.
        building.rename(folder)
    except OSError:
        pass
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return folder if folder.is_dir() else None


def _build(folder: Path) -> None:
    """Dagster's own `storage: sqlite` creating a history, and a run's event log in it."""
    from dagster._core.storage.sqlite_storage import DagsterSqliteStorage

    storage = DagsterSqliteStorage.from_local(str(folder))
    run_id = "template"
    with storage.event_log_storage.run_connection(run_id):
        pass
    storage.dispose()
    events = folder / "history" / "runs" / f"{run_id}.db"
    events.rename(folder / RUN_EVENT_LOG)
    left_open = [path.name for path in folder.rglob("*-wal")]
    if left_open:
        raise OSError(f"the template's databases were left open: {left_open}")


def copy_into_history(base_dir: Path) -> None:
    """Copy the template's databases into a history folder where they are missing."""
    missing = [database for database in STORAGE_DATABASES if not (base_dir / database).exists()]
    template = make_template() if missing else None
    if template is None:
        return
    for database in missing:
        if _copy_new(template / database, base_dir / database):
            _date_migrations_now(base_dir / database)


def copy_run_event_log(path: Path) -> None:
    """A run's new event log from the template, if there is one (made by make_template)."""
    template = template_folder() / RUN_EVENT_LOG
    if template.is_file():
        _copy_new(template, path)


def _copy_new(source: Path, target: Path) -> bool:
    """Copy `source` to `target` unless a database is there already, so that nobody ever
    sees a part-copied file: False when it was there, or when no copy could be made."""
    if target.exists() or target.with_name(f"{target.name}-wal").exists():
        return False
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as reading, partial.open("wb") as writing:
            shutil.copyfileobj(reading, writing)
            writing.flush()
            os.fsync(writing.fileno())
        os.link(partial, target)
    except OSError:
        return False
    finally:
        partial.unlink(missing_ok=True)
    return True


def _date_migrations_now(database: Path) -> None:
    """Date the data migrations the template records as Dagster dates them when it makes a
    history: the database's creation time (SQLite's, UTC) and the local time of marking."""
    marked = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(database) as connection:
        connection.execute(
            "update secondary_indexes set create_timestamp = current_timestamp, "
            "migration_completed = ?",
            [marked],
        )
    connection.close()


if __name__ == "__main__":
    made = make_template()
    print(f"Dagster's empty history: {made}" if made else "No template: the cache is not writable")
