"""Dagster's history of a warehouse: every event of a command-line run is kept, and read
back as the UI reads it, though the event log keeps its databases open
(pipelines/history_storage.py)."""

from pathlib import Path

import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance

from pipelines.history_storage import ENGINES_KEPT, KeptOpenSqliteEventLogStorage
from pipelines.paths import PROJECT_ROOT
from pipelines.settings import history_of


def test_a_command_line_runs_tables_and_checks_are_in_its_history_as_the_ui_reads_them(
    sample_command_run, monkeypatch: pytest.MonkeyPatch
) -> None:
    completed, warehouse = sample_command_run
    assert completed.returncode == 0, completed.stderr
    monkeypatch.setenv("DAGSTER_STORAGE_DIR", str(history_of(warehouse)))
    monkeypatch.setenv("DAGSTER_COMPUTE_LOGS_DIR", str(history_of(warehouse) / "compute_logs"))
    with DagsterInstance.from_config(str(PROJECT_ROOT)) as instance:
        assert isinstance(instance.event_log_storage, KeptOpenSqliteEventLogStorage)
        (run,) = instance.get_runs()
        events = {
            record.event_log_entry.dagster_event_type
            for record in instance.get_records_for_run(run.run_id, limit=10_000).records
            if record.event_log_entry.is_dagster_event
        }
        assert {
            DagsterEventType.RUN_SUCCESS,
            DagsterEventType.ASSET_MATERIALIZATION,
            DagsterEventType.ASSET_CHECK_EVALUATION,
        } <= events
        fact_table = instance.fetch_materializations(
            AssetKey(["marts", "fct_indicator_observations"]), limit=1
        ).records
        assert [record.run_id for record in fact_table] == [run.run_id]


def test_a_process_reading_many_runs_keeps_only_a_few_databases_open(tmp_path: Path) -> None:
    storage = KeptOpenSqliteEventLogStorage(str(tmp_path))
    shards = [f"run-{number}" for number in range(ENGINES_KEPT + 5)]
    for shard in shards:
        with storage.run_connection(shard) as connection:
            connection.exec_driver_sql("select 1")
    assert list(storage._engines) == shards[-ENGINES_KEPT:]
    storage.wipe()
    assert not set(storage._engines) & set(shards)
    with storage.run_connection(shards[0]) as connection:
        assert connection.exec_driver_sql("select 1").scalar() == 1


def test_the_event_log_asks_again_for_a_table_it_did_not_find_and_not_for_one_it_found(
    tmp_path: Path,
) -> None:
    storage = KeptOpenSqliteEventLogStorage(str(tmp_path))
    assert storage.has_table("asset_event_tags")
    assert not storage.has_table("a_table_a_later_version_adds")
    with storage.index_connection() as connection:
        connection.exec_driver_sql("create table a_table_a_later_version_adds (id integer)")
    assert storage.has_table("a_table_a_later_version_adds")
    assert storage.has_table("asset_event_tags")
