"""A new warehouse's history made from the template of an empty one
(pipelines/history_template.py) is what Dagster itself makes, and works as it does."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, asset, materialize
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage

from pipelines import history_template
from pipelines.history_storage import HistoryStorage, KeptOpenSqliteEventLogStorage
from pipelines.history_template import RUN_EVENT_LOG, STORAGE_DATABASES
from pipelines.paths import PROJECT_ROOT


@pytest.fixture
def templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The templates' cache in a temporary folder, empty."""
    folder = tmp_path / "cache"
    monkeypatch.setattr(history_template, "TEMPLATES", folder)
    return folder


def database_contents(path: Path) -> dict[str, object]:
    """A database's schema, journal mode, alembic stamp and rows, but for the dates on
    which its data migrations were marked done."""
    with sqlite3.connect(path) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "select name from sqlite_master where type = 'table' order by name"
            )
        ]
        contents: dict[str, object] = {
            "schema": connection.execute(
                "select type, name, tbl_name, sql from sqlite_master order by type, name"
            ).fetchall(),
            "journal_mode": connection.execute("pragma journal_mode").fetchone(),
            "migrations": connection.execute(
                "select id, name from secondary_indexes order by id"
            ).fetchall(),
        }
        for table in set(tables) - {"secondary_indexes"}:
            contents[table] = connection.execute(f"select * from {table}").fetchall()
    connection.close()
    return contents


def history_with_a_run(
    folder: Path, make_storage: Callable[[str], DagsterSqliteStorage] = HistoryStorage
) -> Path:
    """A history made in `folder` (ours, or as `make_storage` makes it), with one run's
    event log opened."""
    storage = make_storage(str(folder))
    with storage.event_log_storage.run_connection("a-run"):
        pass
    storage.dispose()
    return folder


def dagsters_own_history(folder: Path) -> Path:
    return history_with_a_run(folder, DagsterSqliteStorage.from_local)


def test_a_history_made_from_the_template_is_the_history_dagster_makes(
    templates: Path, tmp_path: Path
) -> None:
    expected = dagsters_own_history(tmp_path / "dagster")
    made = history_with_a_run(tmp_path / "from-template")
    assert (templates / history_template.dagster_version / RUN_EVENT_LOG).is_file()
    for database in [*STORAGE_DATABASES, "history/runs/a-run.db"]:
        assert database_contents(made / database) == database_contents(expected / database)
    with sqlite3.connect(made / STORAGE_DATABASES[0]) as connection:
        dates = connection.execute(
            "select distinct date(create_timestamp), date(migration_completed) "
            "from secondary_indexes"
        ).fetchall()
    connection.close()
    assert len(dates) == 1
    assert None not in dates[0]


def test_a_history_made_from_the_template_records_a_run_as_dagster_reads_it(
    templates: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history_template.make_template()
    monkeypatch.setenv("DAGSTER_STORAGE_DIR", str(tmp_path / "history"))
    monkeypatch.setenv("DAGSTER_COMPUTE_LOGS_DIR", str(tmp_path / "history" / "compute_logs"))

    @asset
    def a_table() -> int:
        return 1

    with DagsterInstance.from_config(str(PROJECT_ROOT)) as instance:
        assert isinstance(instance.event_log_storage, KeptOpenSqliteEventLogStorage)
        result = materialize([a_table], instance=instance)
        assert result.success
        (record,) = instance.fetch_materializations(AssetKey("a_table"), limit=5).records
        assert record.run_id == result.run_id
        assert [run.run_id for run in instance.get_runs()] == [result.run_id]


def test_an_existing_history_is_left_as_it_is(templates: Path, tmp_path: Path) -> None:
    history = tmp_path / "history"
    storage = HistoryStorage(str(history))
    storage.run_storage.set_cursor_values({"kept": "yes"})
    storage.dispose()
    before = {database: (history / database).read_bytes() for database in STORAGE_DATABASES}
    storage = HistoryStorage(str(history))
    assert storage.run_storage.get_cursor_values({"kept"}) == {"kept": "yes"}
    storage.dispose()
    assert {database: (history / database).read_bytes() for database in STORAGE_DATABASES} == (
        before
    )


def test_without_a_template_dagster_makes_the_history_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unwritable = tmp_path / "a-file"
    unwritable.write_text("not a folder")
    monkeypatch.setattr(history_template, "TEMPLATES", unwritable / "cache")
    expected = dagsters_own_history(tmp_path / "dagster")
    made = history_with_a_run(tmp_path / "history")
    assert history_template.make_template() is None
    for database in [*STORAGE_DATABASES, "history/runs/a-run.db"]:
        assert database_contents(made / database) == database_contents(expected / database)


def test_a_history_dagster_made_needs_no_template(templates: Path, tmp_path: Path) -> None:
    history = dagsters_own_history(tmp_path / "history")
    HistoryStorage(str(history)).dispose()
    assert not templates.exists()
