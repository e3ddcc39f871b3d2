"""Dagster's storage of a warehouse's history: SQLite, as Dagster's own, with its
event log written through one open connection per database instead of one per event.

Dagster's SQLite event log opens a new engine and connection for every event
of a run (a step starting, a table built, a check's result, an asset planned:
some 2,000 for the sample's run) and closes it after. Closing the last
connection to a database in WAL mode checkpoints it, deletes its log and syncs
log, database and folder: 5,900 syncs for the sample's run, from 0.05 to 10 ms
each on the machines we measured, more than its whole SQL build. Here each
database's engine is made once and keeps its connection, so the log is
checkpointed as it grows, as SQLite intends; commits use `synchronous=NORMAL`,
SQLite's advice for WAL mode: the history is never corrupted, and a power cut
can lose at most its last events. The warehouse does not rest on these
records: it is published by its own synced, atomic rename
(pipelines/resources.py).

dagster.yaml names `HistoryStorage`; the runs and schedules are stored exactly
as `storage: sqlite` stores them, in the same files. A new history's databases, and
each run's event log, are copied from an empty history Dagster made once
(pipelines/history_template.py) rather than made and stamped anew.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
from dagster._serdes import ConfigurableClassData
from sqlalchemy import Connection, Engine, create_engine, event

from pipelines.history_template import copy_into_history, copy_run_event_log

# A run writes to its own database and the index; the UI reads a few runs at a time.
# Engines beyond these are closed, least recently used first, so a process reading
# years of runs does not hold a file open for each.
ENGINES_KEPT = 8


def _sync_at_checkpoints_only(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    dbapi_connection.execute("pragma synchronous = normal")


class KeptOpenSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log, each database's engine made once and kept."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._tables_present: set[str] = set()
        super().__init__(base_dir, inst_data)

    def has_table(self, table_name: str) -> bool:
        """Dagster asks before storing each asset event and check result whether a table
        that later versions added is there, each time with a new engine and connection to
        the index (some 370 times in the sample's run). A table, once there, stays: only
        its absence is asked again."""
        if table_name in self._tables_present:
            return True
        present = super().has_table(table_name)
        if present:
            self._tables_present.add(table_name)
        return present

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engines.pop(shard, None)
            if engine is None:
                if shard != INDEX_SHARD_NAME and shard not in self._initialized_dbs:
                    copy_run_event_log(Path(self.path_for_shard(shard)))
                engine = create_engine(
                    self.conn_string_for_shard(shard),
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                )
                event.listen(engine, "connect", _sync_at_checkpoints_only)
                if shard not in self._initialized_dbs:
                    self._initdb(engine)
                    self._initialized_dbs.add(shard)
            self._engines[shard] = engine
            while len(self._engines) > ENGINES_KEPT:
                _, oldest = self._engines.popitem(last=False)
                oldest.dispose()
            with engine.connect() as connection, connection.begin():
                yield connection

    def wipe(self) -> None:
        self._close_engines()
        super().wipe()

    def dispose(self) -> None:
        self._close_engines()
        super().dispose()

    def _close_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                _, engine = self._engines.popitem()
                engine.dispose()


class HistoryStorage(DagsterSqliteStorage):
    """`storage: sqlite`, with the event log kept open (KeptOpenSqliteEventLogStorage)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        copy_into_history(Path(base_dir))
        super().__init__(base_dir, inst_data)
        self._event_log_storage = KeptOpenSqliteEventLogStorage(
            self._event_log_storage._base_dir  # the folder `storage: sqlite` uses
        )

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData, config_value: dict[str, Any]
    ) -> HistoryStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
