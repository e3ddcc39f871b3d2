"""Resources: the DuckDB warehouse and the folder the returns arrive in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource

from pipelines.paths import DEFAULT_RETURNS_DIR, DEFAULT_WAREHOUSE, SQL_DIR


def rule_macros_sql() -> str:
    """The SQL that defines the reporting rules as DuckDB macros (sql/macros/)."""
    return "\n".join(path.read_text() for path in sorted((SQL_DIR / "macros").glob("*.sql")))


def load_rule_macros(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(rule_macros_sql())


class Warehouse(ConfigurableResource):
    """The DuckDB file the pipeline builds.

    `connect()` always closes its connection, also when the work inside raises,
    so a failed asset never leaves the file locked for the next run or a reader.
    """

    path: str = str(DEFAULT_WAREHOUSE)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        connection = duckdb.connect(self.path)
        try:
            load_rule_macros(connection)
            yield connection
        finally:
            connection.close()


class ReturnsFolder(ConfigurableResource):
    """The folder the services' returns are read from (searched recursively)."""

    path: str = str(DEFAULT_RETURNS_DIR)

    @property
    def root(self) -> Path:
        return Path(self.path)


def fetch_row(
    connection: duckdb.DuckDBPyConnection, query: str, params: list[object] | None = None
) -> tuple:
    """The single row a query returns (DuckDB 2.0 relations have no fetchone)."""
    rows = connection.sql(query, params=params).fetchall()
    if len(rows) != 1:
        raise ValueError(f"expected one row, got {len(rows)} from: {query}")
    return rows[0]
