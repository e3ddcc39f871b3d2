"""How Dagster's SQLite history of a warehouse is written: without syncing to disk per event.

Dagster stores every event of a run (a step starting, a table built, a check's
result, an asset planned) in SQLite, each through a connection of its own, in
WAL mode. Closing the last connection to a database checkpoints it and deletes
its write-ahead log, syncing the log, the database and the folder: for the
sample's run that was 5,900 syncs, from 0.05 to 10 ms each on the machines we
measured, more than its whole SQL build. So the command line keeps one idle
connection to each history database open while it runs, and Dagster's
connections are never the last: the log is checkpointed as it grows, as SQLite
intends. Commits use `synchronous=NORMAL`, SQLite's recommendation for WAL
mode: the history is never corrupted, and a power cut can lose at most its last
events. The warehouse does not rest on these records: it is published by its
own synced, atomic rename (pipelines/resources.py).
"""

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

# An idle connection per history database file, open until the process ends.
_kept_open: dict[str, sqlite3.Connection] = {}


def _sync_at_checkpoints_only(dbapi_connection: object, _record: object) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.execute("PRAGMA synchronous = NORMAL")
    (_, _, path), *_ = dbapi_connection.execute("PRAGMA database_list").fetchall()
    # Kept from the first connection that finds the database in WAL mode: one kept
    # from before Dagster switched it would not hold the log open.
    (journal_mode,) = dbapi_connection.execute("PRAGMA journal_mode").fetchone()
    if path and journal_mode == "wal" and path not in _kept_open:
        keeper = sqlite3.connect(path, check_same_thread=False)
        # A connection joins the write-ahead log at its first read, not when it opens.
        keeper.execute("SELECT count(*) FROM sqlite_master").fetchall()
        _kept_open[path] = keeper


def write_history_without_syncing_per_event() -> None:
    """Every SQLite database this process opens through SQLAlchemy (Dagster's storage
    opens a connection per event) is kept open, and syncs at WAL checkpoints only."""
    if not event.contains(Engine, "connect", _sync_at_checkpoints_only):
        event.listen(Engine, "connect", _sync_at_checkpoints_only)
