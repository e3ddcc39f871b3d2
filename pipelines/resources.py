"""Resources: the DuckDB warehouse and the folder the returns arrive in.

Their paths have no defaults here: pipelines/definitions.py makes them from the
settings file (pipelines/settings.py), the one place every entry point reads."""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO

import duckdb
from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr

from pipelines.paths import EXPECTATIONS_DIR, QUARTERLY_REPORTS_FOLDER, SQL_DIR


def rule_macros_sql() -> str:
    """The SQL that defines the reporting rules as DuckDB macros (sql/macros/)."""
    return "\n".join(path.read_text() for path in sorted((SQL_DIR / "macros").glob("*.sql")))


def load_rule_macros(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(rule_macros_sql())


class WarehouseBusyError(RuntimeError):
    """Another run is building this warehouse."""


# The build locks this process holds, so that the run and its resource share one.
_HELD_LOCKS: dict[Path, IO[str]] = {}


@contextmanager
def build_lock(published: Path) -> Iterator[None]:
    """Hold the warehouse's build for one run: DuckDB lets only one process write a file,
    so a second run is refused before it starts, not half-way through."""
    path = published.with_name(f".{published.name}.lock")
    if path in _HELD_LOCKS:
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+")
    except OSError:
        # The warehouse's folder cannot be written, so no run can build there: the
        # run goes on to fail at its first write, with that error in its summary.
        yield
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise WarehouseBusyError(
            f"another run is building {published} (it holds {path}): try again when it has finished"
        ) from None
    _HELD_LOCKS[path] = handle
    try:
        yield
    finally:
        del _HELD_LOCKS[path]
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


class Warehouse(ConfigurableResource):
    """The DuckDB warehouse: built in a private file, published by an atomic swap.

    `path` is the published warehouse, the file analysts open read-only. A run
    never writes it: the assets write the build file beside it
    (`warehouse.build.duckdb`), and `publish()` replaces the published file
    with a copy of the build in one rename. A reader holding the old file keeps
    reading it undisturbed; the next reader opens the new one; a failed run
    leaves the published file as it was. `connect()` always closes its
    connection, also when the work inside raises, so a failed asset never
    leaves the build file locked.
    """

    path: str
    # DuckDB's own memory, which it otherwise sets at 80% of the machine's: beyond this
    # it spills to a temporary folder beside the build, so a run over every council's
    # returns stays within a few GiB alongside the Python side of the run.
    memory_limit: str = "2GB"
    _run_lock: ExitStack | None = PrivateAttr(default=None)
    _build: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        # A run from the UI, the schedule or the sensor holds the build as the
        # command line does; released when the run ends, or by the OS if it dies.
        self._run_lock = ExitStack()
        self._run_lock.enter_context(build_lock(self.published_path))

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        self.release()
        if self._run_lock is not None:
            self._run_lock.close()
            self._run_lock = None

    @property
    def published_path(self) -> Path:
        return Path(self.path)

    @property
    def build_path(self) -> Path:
        published = self.published_path
        return published.with_name(f"{published.stem}.build{published.suffix}")

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the build. Within a run the build stays open from the first
        step to publication, each step on a cursor of its own: opening the file,
        loading the rules and checkpointing on close cost more than most steps' work."""
        if self._build is None:
            build = self.build_path
            build.parent.mkdir(parents=True, exist_ok=True)
            if not build.exists() and self.published_path.is_file():
                # The build carries the warehouse's history on from the last publication.
                shutil.copyfile(self.published_path, build)
            self._build = self._open_build()
            load_rule_macros(self._build)
        cursor = self._build.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
            if self._run_lock is None:
                self.release()

    def release(self) -> None:
        """Close the build, so that its file is whole on disk and free for another process."""
        if self._build is not None:
            self._build.close()
            self._build = None

    def _open_build(self) -> duckdb.DuckDBPyConnection:
        build = self.build_path
        try:
            return duckdb.connect(str(build), config=self._config)
        except duckdb.IOException as error:
            if "lock" in str(error).lower():
                raise  # another run is building: never touch its file
            broken_by = error
        except duckdb.Error as error:
            broken_by = error
        # A run killed mid-write can leave a build that will not open. Nothing is
        # lost by starting again from the last publication: every return is
        # still in the folder or in the published raw tables.
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        build.rename(build.with_name(f"{build.name}.broken-{stamp}"))
        wal = build.with_name(build.name + ".wal")
        if wal.exists():
            wal.rename(wal.with_name(f"{wal.name}.broken-{stamp}"))
        if self.published_path.is_file():
            shutil.copyfile(self.published_path, build)
        logging.getLogger(__name__).warning(
            "The build warehouse %s could not be opened (%s); it was set aside and the build "
            "starts again from the published warehouse.",
            build,
            broken_by,
        )
        return duckdb.connect(str(build), config=self._config)

    @property
    def _config(self) -> dict[str, str]:
        return {"memory_limit": self.memory_limit}

    def publish(self) -> None:
        # Closing the build checkpoints it, so the file alone holds everything written
        # (opened first in case a killed run left writes in its log).
        with self.connect():
            pass
        self.release()
        staged = self.published_path.with_name(f".{self.published_path.name}.publishing")
        shutil.copyfile(self.build_path, staged)
        with staged.open("rb") as copy:
            os.fsync(copy.fileno())
        staged.replace(self.published_path)  # a rename: atomic on one filesystem


class ReturnsFolder(ConfigurableResource):
    """The folder the services' returns are read from (searched recursively)."""

    path: str

    @property
    def root(self) -> Path:
        return Path(self.path)


class ReferenceData(ConfigurableResource):
    """The performance team's own reference files: the expected-returns register."""

    expected_returns: str

    @property
    def expected_returns_path(self) -> Path:
        return Path(self.expected_returns)


class ExpectationSuites(ConfigurableResource):
    """The folder of Great Expectations suites the fact table and marts are checked with."""

    path: str = str(EXPECTATIONS_DIR)

    @property
    def directory(self) -> Path:
        return Path(self.path)


class ReportsFolder(ConfigurableResource):
    """Where reports are written (git-ignored): quarterly/ and data-quality/ inside it."""

    path: str

    @property
    def quarterly(self) -> Path:
        return Path(self.path) / QUARTERLY_REPORTS_FOLDER

    @property
    def data_quality(self) -> Path:
        return Path(self.path) / "data-quality"


def fetch_row(
    connection: duckdb.DuckDBPyConnection, query: str, params: list[object] | None = None
) -> tuple:
    """The single row a query returns (DuckDB 2.0 relations have no fetchone)."""
    rows = connection.sql(query, params=params).fetchall()
    if len(rows) != 1:
        raise ValueError(f"expected one row, got {len(rows)} from: {query}")
    return rows[0]
