"""The SQL models: one SELECT per file, layered, lineage read from the SQL itself."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, Definitions, materialize

from assets.sql_models import build_layer_assets
from pipelines.definitions import defs
from pipelines.paths import PROJECT_ROOT
from pipelines.resources import Warehouse
from pipelines.sql_models.model import SqlModel, SqlModelError
from pipelines.sql_models.model_files import load_sql_models, read_sql_model
from pipelines.sql_models.tables import build_table
from tests.conftest import project_sql_models

MODELS = project_sql_models()

# What each layer may read: the layer below it, and itself.
# As in dbt's jaffle-shop, a mart may read staging directly where nothing needs
# doing in between; the current-files model is staging that staging shares.
MAY_READ = {
    # A file's newest version, quarantined whole, is named in staging (stg_current_return_files).
    "staging": {"raw", "quarantine", "validated", "staging"},
    "intermediate": {"staging", "intermediate"},
    "marts": {"staging", "intermediate", "marts"},
    "quality": {"staging", "intermediate", "marts", "reference", "quality"},
    "audit": {"audit"},
}


def test_the_definitions_load() -> None:
    Definitions.validate_loadable(defs)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.table)
def test_each_model_reads_only_the_layer_below_and_its_own(model) -> None:
    assert {key.path[0] for key in model.upstream} <= MAY_READ[model.layer]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.table)
def test_each_models_grain_names_columns_of_its_table(model, sample_warehouse) -> None:
    columns = {
        name
        for (name,) in sample_warehouse.sql(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
            params=[model.layer, model.name],
        ).fetchall()
    }
    assert set(model.grain) <= columns
    assert len(model.description) > 40


def test_dagster_lineage_is_what_the_sql_reads() -> None:
    graph = defs.resolve_asset_graph()
    fact = AssetKey(["marts", "fct_indicator_observations"])
    assert graph.get(fact).parent_keys == {
        AssetKey(["intermediate", "int_indicator_values_as_at"]),
        AssetKey(["intermediate", "int_indicator_values_as_published"]),
        AssetKey(["intermediate", "int_indicator_years"]),
        AssetKey(["intermediate", "int_return_indicators"]),
    }
    staging = AssetKey(["staging", "stg_indicator_returns"])
    assert graph.get(staging).parent_keys == {
        AssetKey(["validated", "indicator_returns"]),
        AssetKey(["staging", "stg_indicator_return_versions"]),
    }
    versions = AssetKey(["staging", "stg_indicator_return_versions"])
    assert graph.get(versions).parent_keys == {
        AssetKey(["validated", "indicator_returns"]),
        AssetKey(["validated", "judged_files"]),
        AssetKey(["staging", "stg_current_return_files"]),
    }


def test_every_model_has_a_grain_check() -> None:
    check_keys = {key for key in defs.resolve_asset_graph().asset_check_keys}
    for model in MODELS:
        assert any(k.asset_key == model.key and k.name == "grain_is_unique" for k in check_keys)


def test_a_duplicate_grain_fails_the_models_step_and_nothing_downstream_is_built(
    tmp_path: Path,
) -> None:
    sql_dir = tmp_path / "sql"
    (sql_dir / "staging").mkdir(parents=True)
    (sql_dir / "staging" / "stg_twice.sql").write_text(
        "-- grain: ref\nselect 'NI 1' as ref union all select 'NI 1' as ref\n"
    )
    (sql_dir / "staging" / "stg_reads_twice.sql").write_text(
        "-- grain: ref\nselect distinct ref from staging.stg_twice\n"
    )
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    result = materialize(
        build_layer_assets(load_sql_models(sql_dir)),
        resources={"warehouse": warehouse},
        raise_on_error=False,
    )
    (grain_check,) = [
        e for e in result.get_asset_check_evaluations() if e.asset_key.path[-1] == "stg_twice"
    ]
    assert not grain_check.passed and grain_check.blocking
    assert "('NI 1', 2)" in grain_check.metadata["example_duplicates"].value
    assert [e.step_key for e in result.get_step_failure_events()] == ["staging_models"]
    with duckdb.connect(str(warehouse.build_path)) as connection:
        built = {
            name for (name,) in connection.sql("select table_name from duckdb_tables()").fetchall()
        }
    assert built == {"stg_twice"}


@pytest.mark.parametrize(
    ("sql", "complaint"),
    [
        ("-- grain: a\nselect 1 as a; select 2 as a", "exactly one SELECT"),
        ("-- grain: a\ncreate table x as select 1", "exactly one SELECT"),
        ("-- no grain here\nselect 1 as a", "must state the model's grain"),
        (
            "-- grain: a\nselect a from stg_indicator_returns",
            "neither a CTE nor named with its schema",
        ),
        ("-- grain: a\nselect from where", "does not parse"),
    ],
)
def test_a_file_that_is_not_a_proper_model_is_refused(
    tmp_path: Path, sql: str, complaint: str
) -> None:
    path = tmp_path / "bad.sql"
    path.write_text(sql)
    with pytest.raises(SqlModelError, match=complaint):
        read_sql_model(path, "staging")


def test_an_incremental_model_that_reads_a_table_rebuilt_whole_is_refused(tmp_path: Path) -> None:
    # Rebuilt only for what changed, it would fall behind such a table for good after a
    # run that built it and not the table.
    sql_dir = tmp_path / "sql"
    (sql_dir / "staging").mkdir(parents=True)
    (sql_dir / "staging" / "stg_whole.sql").write_text(
        "-- grain: file_path\nselect file_path from staging.stg_indicator_return_versions\n"
    )
    incremental = sql_dir / "staging" / "stg_incremental.sql"
    incremental.write_text(
        "-- grain: file_path\n-- incremental by: file_path\n"
        "select file_path from staging.stg_whole\n"
    )
    with pytest.raises(SqlModelError, match=re.escape(
        f"{incremental}: an incremental model reads only incremental models and "
        "staging.stg_indicator_return_versions, but it reads staging.stg_whole"
    )):  # fmt: skip
        load_sql_models(sql_dir)


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("-- One row per a.\n-- grian: a, b\n", "grian"),
        ("-- One row per a.\n-- grain: a\n-- owner: finance\n", "owner"),
        ("-- One row per a.\n-- grain: a\n--\n-- colour: blue\n", "colour"),
        ("-- Grain: a\n", "Grain"),
        # Wherever a key-like line stands, it is a key, never prose.
        ("-- One row per a.\n-- grain: a\n-- Partitioned on: reporting_period\n", "Partitioned on"),
        ("-- One row per a, as\n-- grian: a\n", "grian"),
        ("-- One row per a.\n-- grain: a\n\n-- partition by: reporting_period\n", "partition by"),
        (
            "-- One row per a.\n-- grain: a\n-- partitioned by on: reporting_period\n",
            "partitioned by on",
        ),
    ],
)
def test_a_header_with_an_unknown_key_fails_to_load_naming_the_file_and_the_key(
    tmp_path: Path, header: str, key: str
) -> None:
    path = tmp_path / "stg_keyed.sql"
    path.write_text(header + "select 1 as a")
    with pytest.raises(SqlModelError, match=f"unknown header key '{key}'") as error:
        read_sql_model(path, "staging")
    assert str(path) in str(error.value)


@pytest.mark.parametrize(
    "misspelt", ["partitioned_by", "partition by", "partitioned_by ", "Partitioned by"]
)
def test_a_misspelt_partitioned_by_fails_rather_than_leaving_the_model_unpartitioned(
    tmp_path: Path, misspelt: str
) -> None:
    path = tmp_path / "mart_by_period.sql"
    path.write_text(
        f"-- One row per period.\n-- {misspelt}: reporting_period\n-- grain: reporting_period\n"
        "select '2024-25 Q2' as reporting_period"
    )
    with pytest.raises(
        SqlModelError, match=re.escape(f"{path}: unknown header key '{misspelt.strip()}'")
    ):
        read_sql_model(path, "marts")


@pytest.mark.parametrize(
    ("header", "complaint"),
    [
        (
            "-- One row per period.\n-- grain: a\n-- partitioned by reporting_period\n",
            "header key 'partitioned by' has no colon: write '-- partitioned by: reporting_period'",
        ),
        ("-- Grain a\n", "header key 'grain' has no colon"),
        ("-- grain: a\n-- grain: b\n", "states 'grain' twice"),
        ("-- grain: a\n-- partitioned by: a, b\n", "'partitioned by' takes one column"),
        ("-- grain: a,, b\n", "'grain' takes columns separated by commas"),
        ("-- grain: a\n-- incremental by: a\n", "'incremental by' takes file_path or reporting"),
        ("-- grain: a\n-- incremental by file_path\n", "'incremental by' has no colon"),
        (
            "-- grain: a\n-- incremental by: file_path\n-- partitioned by: reporting_period\n",
            "either partitioned by a period or incremental, not both",
        ),
    ],
)
def test_a_header_key_stated_twice_or_with_a_malformed_value_fails(
    tmp_path: Path, header: str, complaint: str
) -> None:
    path = tmp_path / "stg_keyed.sql"
    path.write_text(header + "select 1 as a")
    with pytest.raises(SqlModelError, match=complaint):
        read_sql_model(path, "staging")


def test_header_keys_are_read_and_prose_wrapping_at_a_colon_stays_description(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mart_by_period.sql"
    path.write_text(
        "-- Performance, as\n-- published: each period on its own returns.\n"
        "-- partitioned by: reporting_period\n-- grain: reporting_period, a\n--\n"
        "-- With data: a value and a target.\n"
        "select '2024-25 Q2' as reporting_period, 1 as a"
    )
    model = read_sql_model(path, "marts")
    assert model.grain == ("reporting_period", "a")
    assert model.partitioned_by == "reporting_period"
    assert model.description == (
        "Performance, as\npublished: each period on its own returns.\n\n"
        "With data: a value and a target."
    )


def test_the_rule_arithmetic_lives_only_in_the_macros() -> None:
    code = [
        *PROJECT_ROOT.joinpath("sql").rglob("*.sql"),
        *(
            p
            for d in ("assets", "pipelines", "schemas")
            for p in PROJECT_ROOT.joinpath(d).rglob("*.py")
        ),
    ]
    holders = {
        path.relative_to(PROJECT_ROOT).as_posix()
        for path in code
        for fragment in ("* 100 / abs(target)", ">= -5", "* fiscal_month / 12")
        if fragment in path.read_text()
    }
    assert holders == {"sql/macros/rules.sql"}


def incremental_model(
    tmp_path: Path, name: str, sql: str, by: str = "file_path", **fields: object
) -> SqlModel:
    """A staging model incremental by `by`, one row per value of it, with the given SQL."""
    path = tmp_path / f"{name}.sql"
    path.write_text(f"-- One row per {by}.\n-- grain: {by}\n-- incremental by: {by}\n{sql}")
    return replace(read_sql_model(path, "staging"), code_version="first", **fields)


def with_three_returns(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        "create schema staging; create table staging.stg_indicator_return_versions as "
        "select 'A' as authority, '2024-25 Q' || q as reporting_period, "
        "make_date(2024, 3 * q + 3, 28) as reporting_period_end, 2024 as financial_year_start, "
        "'q' || q || '.csv' as file_path, 'hash ' || q as file_hash, "
        "timestamp '2024-10-01' as file_judged_at, q as return_order "
        "from (select unnest([1, 2, 3]) as q) as quarters"
    )


def files_rebuilt(connection: duckdb.DuckDBPyConnection, model: SqlModel) -> object:
    return build_table(connection, model, []).metadata["files_rebuilt"]


def resend(connection: duckdb.DuckDBPyConnection, file_path: str) -> None:
    connection.execute(
        "update staging.stg_indicator_return_versions set file_hash = 'resent' where file_path = ?",
        [file_path],
    )


def test_an_incremental_model_rebuilds_the_changed_files_and_is_built_whole_when_its_code_changes(
    tmp_path: Path,
) -> None:
    model = incremental_model(
        tmp_path, "stg_rows",
        "select file_path, file_hash, return_order from staging.stg_indicator_return_versions",
    )  # fmt: skip
    with duckdb.connect() as connection:
        with_three_returns(connection)
        assert files_rebuilt(connection, model) == "all: built whole"
        assert files_rebuilt(connection, model) == 0
        resend(connection, "q2.csv")
        assert files_rebuilt(connection, model) == 1
        # The gate's rules changed: every file's rows were judged again.
        connection.execute(
            "update staging.stg_indicator_return_versions "
            "set file_judged_at = timestamp '2024-10-02'"
        )
        assert files_rebuilt(connection, model) == 3
        assert connection.sql("select file_hash from staging.stg_rows order by 1").fetchall() == [
            ("hash 1",), ("hash 3",), ("resent",)
        ]  # fmt: skip
        assert files_rebuilt(connection, replace(model, code_version="second")) == (
            "all: built whole"
        )


def test_a_model_built_before_the_incremental_model_it_reads_catches_up_with_it_later(
    tmp_path: Path,
) -> None:
    # A Dagster run of some models only: the reader is built while the table it reads
    # still holds the returns as they were. It must not record the new ones as built.
    upstream = incremental_model(
        tmp_path, "stg_rows",
        "select file_path, file_hash from staging.stg_indicator_return_versions",
    )  # fmt: skip
    reader = incremental_model(
        tmp_path, "stg_reader", "select file_path, file_hash from staging.stg_rows",
        incremental_upstream=("staging.stg_rows",),
    )  # fmt: skip
    with duckdb.connect() as connection:
        with_three_returns(connection)
        files_rebuilt(connection, upstream)
        files_rebuilt(connection, reader)
        resend(connection, "q1.csv")
        assert files_rebuilt(connection, reader) == 0
        assert files_rebuilt(connection, upstream) == 1
        assert files_rebuilt(connection, reader) == 1
        stale = connection.sql("from staging.stg_reader except from staging.stg_rows")
        assert stale.fetchall() == []


def test_an_incremental_model_whose_grain_check_failed_is_built_whole_and_checked_again(
    tmp_path: Path,
) -> None:
    doubled = incremental_model(
        tmp_path, "stg_rows",
        "select file_path from staging.stg_indicator_return_versions "
        "cross join (select unnest([1, 2]) as copy) as copies",
    )  # fmt: skip
    with duckdb.connect() as connection:
        with_three_returns(connection)
        for _ in range(2):
            result = build_table(connection, doubled, [])
            assert result.metadata["files_rebuilt"] == "all: built whole"
            assert not result.check_results[0].passed


def test_a_record_of_another_shape_is_made_again_and_every_table_built_whole(
    tmp_path: Path,
) -> None:
    model = incremental_model(
        tmp_path, "stg_rows", "select file_path from staging.stg_indicator_return_versions"
    )
    with duckdb.connect() as connection:
        with_three_returns(connection)
        connection.execute(
            "create schema build_state; create table build_state.model_inputs "
            "(model varchar, code_version varchar, file_path varchar)"
        )
        assert files_rebuilt(connection, model) == "all: built whole"
        assert files_rebuilt(connection, model) == 0


def test_a_model_incremental_by_year_rebuilds_every_year_from_the_one_before_a_changed_return(
    tmp_path: Path,
) -> None:
    # One Q2 return a year, 2020-21 to 2024-25 but none for 2022-23; each year's row
    # lists the returns of that year and the next, as a year's latest values do (the
    # next year's previous_outturn), so 2019-20 and 2022-23 have rows of their own.
    model = incremental_model(
        tmp_path, "stg_years",
        "select years.financial_year_start, list(returns.file_hash order by returns.file_hash)"
        " as returned from (select distinct unnest([financial_year_start - 1, "
        "financial_year_start]) as financial_year_start "
        "from staging.stg_indicator_return_versions) as years "
        "inner join staging.stg_indicator_return_versions as returns "
        "on returns.financial_year_start in (years.financial_year_start, "
        "years.financial_year_start + 1) group by all",
        by="financial_year_start",
    )  # fmt: skip
    with duckdb.connect() as connection:
        connection.execute(
            "create schema staging; create table staging.stg_indicator_return_versions as "
            "select 'A' as authority, y || '-' || (y + 1) % 100 || ' Q2' as reporting_period, "
            "make_date(y, 9, 30) as reporting_period_end, y as financial_year_start, "
            "y || '.csv' as file_path, 'hash ' || y as file_hash, "
            "timestamp '2024-10-01' as file_judged_at, y - 2020 as return_order "
            "from (select unnest([2020, 2021, 2023, 2024]) as y) as years"
        )
        assert build_table(connection, model, []).metadata["years_rebuilt"] == "all: built whole"
        # Marked, to show which years' rows the next build leaves as they are.
        connection.execute("update staging.stg_years set returned = list_value('kept')")
        resend(connection, "2021.csv")
        result = build_table(connection, model, [])
        # The year before, the year, and every year after, 2022-23 with no return of
        # its own among them.
        assert result.metadata["years_rebuilt"] == 5
        assert result.check_results[0].passed
        assert connection.sql(
            "select financial_year_start, returned from staging.stg_years order by 1"
        ).fetchall() == [
            (2019, ["kept"]),
            (2020, ["hash 2020", "resent"]),
            (2021, ["resent"]),
            (2022, ["hash 2023"]),
            (2023, ["hash 2023", "hash 2024"]),
            (2024, ["hash 2024"]),
        ]
