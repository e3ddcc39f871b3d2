"""Quarterly operations: quarters as partitions, corrected returns, the audit trail."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterEvent, DagsterEventType

from pipelines.paths import DEFAULT_RETURNS_DIR
from pipelines.quarters import Quarter
from pipelines.run import RunOutcome
from pipelines.sql_models.model import SqlModel
from tests.conftest import build, copy_of_sample_warehouse, project_sql_models

PRIORITY_1_Q2 = Path("st-helens/2024-25/Q2/priority-1.csv")
OUTTURN_2021_22 = Path("st-helens/2021-22/Q4/priority-1.csv")


def correct(path: Path, ref: str, **cells: str) -> None:
    """Resubmit a return with some of one row's cells changed, as a service would."""
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    for row in rows:
        if row["ref"] == ref:
            row.update(cells)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def marts_by_period(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.sql(
            "select * from marts.mart_priority_performance order by reporting_period, priority"
        ).fetchall()
    by_period: dict[str, list[tuple]] = {}
    for row in rows:
        by_period.setdefault(row[1], []).append(row)
    return by_period


@pytest.fixture(scope="module")
def backfilled(sample_run: RunOutcome, tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    """The sample backfilled, every quarter in one run: the session's sample run, in a copy
    of its warehouse and of its returns that this module's tests may correct."""
    assert sample_run.published, sample_run.summary()
    returns = tmp_path_factory.mktemp("returns")
    shutil.copytree(DEFAULT_RETURNS_DIR, returns, dirs_exist_ok=True)
    warehouse = copy_of_sample_warehouse(sample_run, tmp_path_factory.mktemp("warehouse"))
    return replace(
        sample_run,
        returns_dir=returns,
        warehouse=warehouse,
        build_warehouse=warehouse.with_name(sample_run.build_warehouse.name),
    )


@pytest.fixture(scope="module")
def corrected(
    backfilled: RunOutcome,
) -> tuple[RunOutcome, dict[str, list[tuple]], dict[str, dict[str, object]]]:
    """The sample backfilled, then 2024-25 Q2 re-run with a corrected priority 1 return
    (CYP-012's 28% of EHC plans in 20 weeks becomes 31%) and an outturn figure changed
    that its quarter is not re-run for; with the metadata of each table the run built."""
    before = marts_by_period(backfilled.warehouse)
    correct(backfilled.returns_dir / PRIORITY_1_Q2, "CYP-012", q2="31")
    correct(backfilled.returns_dir / OUTTURN_2021_22, "CYP-01", outturn="12")
    again, metadata = build_keeping_metadata(
        backfilled.returns_dir, backfilled.warehouse, quarters=["2024-25-Q2"]
    )
    assert again.published, again.summary()
    return again, before, metadata


def build_keeping_metadata(
    returns_dir: Path, warehouse: Path, **options: object
) -> tuple[RunOutcome, dict[str, dict[str, object]]]:
    """A run, with the metadata of each table it built."""
    metadata: dict[str, dict[str, object]] = {}

    def keep_metadata(event: DagsterEvent) -> None:
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.step_materialization_data.materialization
            metadata[materialization.asset_key.to_user_string()] = {
                name: value.value for name, value in materialization.metadata.items()
            }

    return build(returns_dir, warehouse, on_event=keep_metadata, **options), metadata


def test_backfill_builds_every_quarter_found_in_one_run(backfilled) -> None:
    assert backfilled.quarters == ["2021-22-Q2", "2021-22-Q4", "2024-25-Q2"]
    assert set(marts_by_period(backfilled.warehouse)) == {"2021-22 Q2", "2021-22 Q4", "2024-25 Q2"}


def test_a_corrected_return_wins_in_its_quarters_marts(corrected) -> None:
    again, before, _ = corrected
    after = marts_by_period(again.warehouse)
    q2_priority_1 = next(row for row in after["2024-25 Q2"] if row[2] == 1)
    # CYP-012 moves from not met to met: 13 met, 2 within, 7 not met becomes 14, 2, 6.
    assert q2_priority_1[4:7] == (14, 2, 6)
    assert before["2024-25 Q2"] != after["2024-25 Q2"]


def test_running_one_quarter_leaves_unchanged_quarters_rows_exactly_as_they_were(corrected):
    again, before, _ = corrected
    assert marts_by_period(again.warehouse)["2021-22 Q2"] == before["2021-22 Q2"]


def test_a_quarter_whose_return_changed_is_brought_up_to_date_whichever_quarter_ran(corrected):
    # 2021-22 Q4's outturn file was corrected (CYP-01: 17 to 12 against 16, lower is
    # better, so not met becomes met) while only 2024-25 Q2 was run: its marts must
    # not contradict the fact table the run rebuilt.
    again, before, _ = corrected
    q4_priority_1 = next(row for row in marts_by_period(again.warehouse)["2021-22 Q4"]
                         if row[2] == 1)  # fmt: skip
    before_q4 = next(row for row in before["2021-22 Q4"] if row[2] == 1)
    assert before_q4[4:7] == (13, 5, 18) and q4_priority_1[4:7] == (14, 5, 17)
    with duckdb.connect(str(again.warehouse), read_only=True) as connection:
        fact = connection.sql(
            "select count(*) filter (where performance_status = 'met'), "
            "count(*) filter (where performance_status = 'not met') "
            "from marts.fct_indicator_observations "
            "where period_key = '2021-22 Q4' and in_return_for_period"
        ).fetchall()
    assert fact == [(14, 17)]


def test_a_quarter_run_rebuilds_the_files_and_periods_whose_returns_changed_and_no_more(
    corrected,
) -> None:
    _, _, metadata = corrected
    # The two corrected files, and the other returns of 2024-25 Q2, whose order moved:
    # the corrected priority 1 file is now the period's latest.
    assert metadata["staging/stg_indicator_returns"]["files_rebuilt"] == 7
    assert metadata["intermediate/int_indicator_cells"]["files_rebuilt"] == 7
    # 2021-22 Q4 (a corrected outturn) and every period after it; 2021-22 Q2 is untouched.
    assert metadata["intermediate/int_indicator_values_as_published"]["periods_rebuilt"] == 2


def test_the_tables_a_quarter_run_built_incrementally_are_what_a_whole_build_gives(corrected):
    again, _, _ = corrected
    incremental = [model for model in project_sql_models() if model.incremental_by]
    assert incremental
    with duckdb.connect(str(again.warehouse), read_only=True) as connection:
        for model in incremental:
            assert rows_unlike_a_whole_build(connection, model) == 0, model.table


def test_a_new_quarter_rebuilds_the_fact_tables_last_two_years_and_keeps_the_rest(
    sample_run: RunOutcome, tmp_path: Path
) -> None:
    # Only a 2024-25 return changes: the fact table's 2023-24 (known from the return's
    # previous_outturn) and 2024-25 are rebuilt, 2020-21 and 2021-22 kept. The return
    # now also reports CYP-01, last reported in 2021-22: its direction of travel at
    # 2024-25 Q2 compares 14 against 16 (12.5% better) with 2021-22's last variance (17
    # against 16, 6.25% worse), a year the run does not rebuild.
    returns = tmp_path / "returns"
    shutil.copytree(DEFAULT_RETURNS_DIR, returns)
    warehouse = copy_of_sample_warehouse(sample_run, tmp_path)
    add_indicator(
        returns / PRIORITY_1_Q2, like="CYP-012", ref="CYP-01", polarity="Lower",
        previous_outturn="", target="16", q1="", q2="14", reported_variance="12.5%",
    )  # fmt: skip
    again, metadata = build_keeping_metadata(returns, warehouse, quarters=["2024-25-Q2"])
    assert again.published, again.summary()
    assert metadata["marts/fct_indicator_observations"]["years_rebuilt"] == 2
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        for model in project_sql_models():
            if model.incremental_by:
                assert rows_unlike_a_whole_build(connection, model) == 0, model.table
        assert connection.sql(
            "select variance_pct, direction_of_travel from marts.fct_indicator_observations "
            "where ref = 'CYP-01' and period_key = '2024-25 Q2'"
        ).fetchall() == [(12.5, "improving")]


def add_indicator(path: Path, like: str, **cells: str) -> None:
    """A row added to a return: a copy of indicator `like`'s row with some cells changed."""
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    rows.append({**next(row for row in rows if row["ref"] == like), **cells})
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def rows_unlike_a_whole_build(connection: duckdb.DuckDBPyConnection, model: SqlModel) -> int:
    """The rows of the model's table that its SQL built whole now would not give, and the
    rows it would give that the table lacks."""
    built, whole = f"from {model.table}", f"({model.sql})"
    return connection.sql(
        f"select count(*) from (({built} except all {whole}) "
        f"union all ({whole} except all {built}))"
    ).fetchall()[0][0]


def test_a_full_refresh_builds_every_incremental_table_whole_from_the_rows_it_reads(
    sample_run: RunOutcome, tmp_path: Path
) -> None:
    # Rows lost from an incremental table, with its record saying they were built: a run
    # rebuilds only what changed, and nothing did. A full refresh puts them back.
    warehouse = copy_of_sample_warehouse(sample_run, tmp_path)
    with duckdb.connect(str(warehouse.with_name(sample_run.build_warehouse.name))) as build_file:
        build_file.execute(
            "delete from intermediate.int_indicator_cells where file_path like '%2021-22%'"
        )
    again, metadata = build_keeping_metadata(DEFAULT_RETURNS_DIR, warehouse, full_refresh=True)
    assert again.published, again.summary()
    incremental = [model for model in project_sql_models() if model.incremental_by]
    for model in incremental:
        rebuilt = [value for name, value in metadata[model.key.to_user_string()].items()
                   if name.endswith("_rebuilt")]  # fmt: skip
        assert rebuilt == ["all: built whole"], model.table
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        for model in incremental:
            assert rows_unlike_a_whole_build(connection, model) == 0, model.table


def test_every_changed_figure_is_audited_with_the_files_it_came_from(corrected) -> None:
    again, _, _ = corrected
    with duckdb.connect(str(again.warehouse), read_only=True) as connection:
        changes = connection.sql(
            "select ref, period_key, figure, old_value, new_value, old_source_file_hash, "
            "new_source_file_hash, new_source_file_path from audit.observation_changes "
            "order by ref, period_key, figure"
        ).fetchall()
        versions = connection.sql(
            "select file_hash from raw.return_files where file_path = ? order by loaded_at",
            params=[PRIORITY_1_Q2.as_posix()],
        ).fetchall()
    cyp_012 = [c for c in changes if c[0] == "CYP-012"]
    assert [c[2:5] for c in cyp_012] == [
        ("performance_status", "not met", "met"),
        ("value", "28.0", "31.0"),
    ]
    old_version, new_version = (digest for (digest,) in versions)
    assert all(c[5:8] == (old_version, new_version, PRIORITY_1_Q2.as_posix()) for c in cyp_012)
    # The fact is rebuilt from all history, so the outturn change is on record too.
    assert ("CYP-01", "2021-22 Q4", "value", "17.0", "12.0") in [c[:5] for c in changes]


def test_the_fact_suite_validates_the_quarter_run_and_the_rows_its_new_files_gave(corrected):
    # Great Expectations copies its batch into pandas: a quarterly run must not pay for
    # the whole history, but every row it could have changed is checked, the corrected
    # 2021-22 outturn's included though that quarter was not run.
    again, _, _ = corrected
    with duckdb.connect(str(again.warehouse), read_only=True) as connection:
        (rows_checked,) = connection.sql(
            "select distinct rows_checked from quality.expectation_results "
            "where suite = 'fct_indicator_observations'"
        ).fetchall()[0:1][0]
        total, run_or_new_files, from_outturn_file = connection.sql(
            "with this_run as (select max(loaded_at) as loaded_at from raw.return_files) "
            "select count(*), "
            "count(*) filter (where period_key = '2024-25 Q2' or source_loaded_at = loaded_at), "
            "count(*) filter (where source_file_path = ? and source_loaded_at = loaded_at) "
            "from marts.fct_indicator_observations, this_run",
            params=[OUTTURN_2021_22.as_posix()],
        ).fetchall()[0]
    assert from_outturn_file > 0
    assert rows_checked == run_or_new_files < total


def test_the_superseded_return_stays_in_raw(corrected) -> None:
    again, _, _ = corrected
    with duckdb.connect(str(again.warehouse), read_only=True) as connection:
        rows = connection.sql(
            "select q2 from raw.returns where file_path = ? and ref = 'CYP-012' order by loaded_at",
            params=[PRIORITY_1_Q2.as_posix()],
        ).fetchall()
    assert rows == [("28",), ("31",)]


@pytest.mark.parametrize(
    ("moment", "quarter"),
    [
        (dt.datetime(2024, 10, 30, 6), "2024-25-Q2"),
        (dt.datetime(2025, 1, 30, 6), "2024-25-Q3"),
        (dt.datetime(2025, 4, 30, 6), "2024-25-Q4"),
        (dt.datetime(2024, 7, 1), "2024-25-Q1"),
        (dt.datetime(2024, 6, 30), "2023-24-Q4"),
    ],
)
def test_the_quarter_that_has_just_closed(moment: dt.datetime, quarter: str) -> None:
    assert Quarter.closed_before(moment).partition_key == quarter


@pytest.mark.parametrize("key", ["2024-25 Q2", "2024-26-Q2", "2024-25-Q5", "Q2"])
def test_a_quarter_key_that_is_not_a_financial_quarter_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="is not a financial quarter"):
        Quarter.from_partition_key(key)


def test_a_quarter_run_before_any_return_arrived_flags_every_missing_return(
    sample_run: RunOutcome, tmp_path: Path
) -> None:
    # What the schedule does when returns are late: the register expects St Helens'
    # six priorities every quarter from 2024-25 Q2, and none has arrived for Q3.
    warehouse = copy_of_sample_warehouse(sample_run, tmp_path)  # the sample built, then:
    outcome = build(DEFAULT_RETURNS_DIR, warehouse, quarters=["2024-25-Q3"])
    assert outcome.published, outcome.summary()
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        missing = connection.sql(
            "select priority_number from quality.dq_flags where check_name = 'missing_return' "
            "and reporting_period = '2024-25 Q3' order by 1"
        ).fetchall()
    assert [p for (p,) in missing] == [1, 2, 3, 4, 5, 6]
    # The run's summary counts the findings of the quarter it ran, not the warehouse's.
    assert "Data quality of the quarters run: 0 ERROR, 6 WARN, 0 INFO findings" in (
        outcome.summary()
    )
