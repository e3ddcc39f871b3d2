"""The tests' Dagster instance: ephemeral, in memory, so that the tests leave nothing
in the project's own storage."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy
from dagster import DagsterInstance
from dagster._core.instance import InstanceType
from dagster._core.launcher.sync_in_memory_run_launcher import SyncInMemoryRunLauncher
from dagster._core.run_coordinator import DefaultRunCoordinator
from dagster._core.storage.event_log import InMemoryEventLogStorage
from dagster._core.storage.event_log.schema import AssetKeyTable
from dagster._core.storage.noop_compute_log_manager import NoOpComputeLogManager
from dagster._core.storage.root import TemporaryLocalArtifactStorage
from dagster._core.storage.runs import InMemoryRunStorage
from sqlalchemy import Connection


class KeptOpenInMemoryEventLogStorage(InMemoryEventLogStorage):
    """Dagster's in-memory event log, written through the one connection it holds for its
    life rather than a new connection (and two PRAGMAs) per event, as the command line's
    event log keeps its SQLite connection open (pipelines/history_storage.py): a run of a
    one-row return stores some 500 events, and this spared 0.7 s of its 6.5 s of CPU.

    Its tables and columns are read once: Dagster asks whether a table or column exists
    for many of those events (each time on a new connection), but this schema is made
    once, when the storage is, and never migrated (`upgrade` does nothing)."""

    def __init__(self) -> None:
        super().__init__()
        schema = sqlalchemy.inspect(self._held_conn)
        self._tables = frozenset(schema.get_table_names())
        self._asset_key_columns = frozenset(
            column["name"] for column in schema.get_columns(AssetKeyTable.name)
        )
        # Set once on the held connection, outside a transaction (the inspection began
        # one), where SQLite heeds it.
        self._held_conn.commit()
        self._held_conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        self._held_conn.commit()

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        with self._db_lock, self._held_conn.begin():
            yield self._held_conn

    def has_table(self, table_name: str) -> bool:
        return table_name in self._tables

    def _has_asset_key_col_on_connection(self, conn: Connection, column_name: str) -> bool:
        return column_name in self._asset_key_columns


def ephemeral_instance() -> DagsterInstance:
    """`DagsterInstance.ephemeral()`, its event log kept open."""
    return DagsterInstance(
        instance_type=InstanceType.EPHEMERAL,
        local_artifact_storage=TemporaryLocalArtifactStorage(),
        run_storage=InMemoryRunStorage(),
        event_storage=KeptOpenInMemoryEventLogStorage(),
        compute_log_manager=NoOpComputeLogManager(),
        run_coordinator=DefaultRunCoordinator(),
        run_launcher=SyncInMemoryRunLauncher(),
    )
