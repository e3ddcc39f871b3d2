"""Building a model's table in the warehouse, with its descriptions.

A model whose rows belong to a reporting period (`-- partitioned by:
reporting_period`) is partitioned by financial quarter: a run for some quarters
replaces those quarters' rows, and the rows of any other quarter its inputs
changed; every other quarter's rows stay exactly as they were.

An incremental model is built only for what changed. Its inputs are the current
returns (staging.stg_indicator_return_versions: each return's authority, period,
file version, when its rows were judged, and its order); what they were when the
table was last built is kept beside it, in build_state.model_inputs, written in
the same transaction as its rows. A run compares the two, and:

- `-- incremental by: file_path`: rebuilds the rows of each file whose returns
  changed (a new file, a new version of one, one whose return_order moved, one
  judged again under new rules). The model promises that a file's rows come
  from that file's rows and its returns' order alone.
- `-- incremental by: reporting_period`: rebuilds every period from the earliest
  one with a changed return on. The model promises that a period's rows come from
  the returns as at that period or earlier, which is what being published means:
  a later quarter's returns cannot change an earlier period's rows.
- `-- incremental by: financial_year_start`: rebuilds every financial year from the
  one before the earliest with a changed return (new, a new version, return_order
  moved, judged again) on. The model promises that a year's rows come from the
  returns of that year, of the next one and of earlier years alone: the next
  year's returns report the year's outturn (previous_outturn), and no later
  return reaches back further. The latest revision of every value and the fact
  table are such models (the fact table compares with the year before, and its
  direction of travel with every earlier variance): the newest quarter's returns
  rebuild two years of them, not the whole history. A correction to an older year
  rebuilds every year after it, as a late return for an earlier quarter does
  anyway (it moves the return_order of every later return of its authority).

A model that reads incremental models is built from what they were built from
(their records), never from returns whose rows they do not yet hold: after a
Dagster run of some models only, it catches up with them, not past them. A model
whose code changed since (its code_version, which covers this module too), whose
columns changed, whose grain check failed, or that has no record of its inputs is
built whole, as is every incremental model on a full refresh (`--full-refresh`).
Any other model's table is replaced whole on every run.
"""

import hashlib
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb
from dagster import AssetKey, MaterializeResult, TableColumn, TableSchema

from pipelines.resources import fetch_row
from pipelines.sql_models.checks import check_findings, check_grain
from pipelines.sql_models.findings import is_findings_model
from pipelines.sql_models.header import INCREMENTAL_UNITS
from pipelines.sql_models.model import RETURN_VERSIONS, SqlModel


def build_models(
    connection: duckdb.DuckDBPyConnection, models: list[SqlModel], *, table: str
) -> None:
    """Build `table` and every model it reads, in order, with the run's own SQL, outside
    Dagster: `python -m pipelines validate` builds them on a scratch copy of the warehouse."""
    by_table = {model.table: model for model in models}
    by_key = {model.key: model for model in models}
    needed: dict[AssetKey, SqlModel] = {}
    waiting = [by_table[table]]
    while waiting:
        model = waiting.pop()
        if model.key not in needed:
            needed[model.key] = model
            waiting += [by_key[key] for key in model.upstream if key in by_key]
    for model in in_build_order(list(needed.values())):
        build_table(connection, model, [])


def in_build_order(models: list[SqlModel]) -> list[SqlModel]:
    by_key = {model.key: model for model in models}
    order = TopologicalSorter(
        {model.key: sorted(model.upstream & by_key.keys(), key=str) for model in models}
    )
    return [by_key[key] for key in order.static_order()]


def build_table(
    connection: duckdb.DuckDBPyConnection,
    model: SqlModel,
    periods: list[str],
    *,
    whole: bool = False,
) -> MaterializeResult:
    """Build the model's table; with `whole`, an incremental model is built whole, as if it
    had never been built (a full refresh)."""
    connection.execute(f"create schema if not exists {model.layer}")
    replaced: list[str] = []
    rebuilt: list[str | int] | None = None
    if model.partitioned_by:
        replaced = _replace_periods(connection, model, periods)
    elif model.incremental_by:
        rebuilt = _build_incrementally(connection, model, whole=whole)
    else:
        connection.execute(f"create or replace table {model.table} as\n{model.sql}")
    _comment_on(connection, model)
    (row_count,) = fetch_row(connection, f"select count(*) from {model.table}")
    # The columns as the table's relation binds them, with no query run: duckdb_columns()
    # reads the whole catalog, 3 ms a model against 0.1 ms, and gives the same names and types.
    built = connection.sql(f"from {model.table}")
    types = dict(zip(built.columns, map(str, built.types), strict=True))
    check_results = [check_grain(connection, model, rebuilt)]
    if model.incremental_by and not check_results[0].passed:
        # Only rebuilt rows are checked on an incremental build: the next builds it whole.
        forget_record(connection, model)
    if is_findings_model(model):
        check_results.append(check_findings(connection, model))
    return MaterializeResult(
        asset_key=model.key,
        metadata={
            "dagster/row_count": row_count,
            "dagster/column_schema": column_schema(model, types),
            **({"periods_replaced": ", ".join(replaced)} if model.partitioned_by else {}),
            **(_rebuilt_metadata(model, rebuilt) if model.incremental_by else {}),
        },
        check_results=check_results,
    )


def column_schema(model: SqlModel, types: dict[str, str]) -> TableSchema:
    """The columns with their descriptions; their types once the table is built."""
    described = dict(model.column_descriptions)
    names = list(types) or list(described)
    return TableSchema(
        columns=[
            TableColumn(name, types.get(name, "unknown"), description=described.get(name))
            for name in names
        ]
    )


def _comment_on(connection: duckdb.DuckDBPyConnection, model: SqlModel) -> None:
    """The same descriptions in the warehouse, for duckdb_tables() and duckdb_columns().
    One transaction: a commit per comment cost more than building most tables."""
    comments = [f"comment on table {model.table} is {_sql_text(model.description)}"] + [
        f"comment on column {model.table}.{column} is {_sql_text(description)}"
        for column, description in model.column_descriptions
    ]
    connection.execute("begin transaction;\n" + ";\n".join(comments) + ";\ncommit")


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _replace_periods(
    connection: duckdb.DuckDBPyConnection, model: SqlModel, periods: list[str]
) -> list[str]:
    """Replace the rows of the given reporting periods, and of any other period whose rows
    the model now gives differently (by the periods' fingerprints), in one transaction;
    the periods replaced.

    The tables it reads hold every quarter, brought up to date with the returns on every
    run, so a correction to an earlier quarter's return, or a figure a later trend rests
    on, changes that quarter's rows even when the run is for another: leaving them would
    publish a mart that contradicts the fact table it counts. A period whose rows are
    unchanged is not touched."""
    column = model.partitioned_by
    connection.execute(f"create or replace temp table model_rows as\n{model.sql}")
    if not _table_exists(connection, model) or (
        connection.sql(f"describe {model.table}").fetchall()
        != connection.sql("describe model_rows").fetchall()
    ):
        # New, or its columns changed since it was built: every period is rebuilt rather
        # than some left in the old shape, in one statement. (Not inside a transaction:
        # a table created and filled in one showed its row count but not its rows to the
        # run's other connections, in DuckDB 2.0.0.)
        connection.execute(f"create or replace table {model.table} as select * from model_rows")
        return [p for (p,) in connection.sql(
            f"select distinct {column} from model_rows order by 1").fetchall()]  # fmt: skip
    changed = connection.sql(
        f"""
        with built as ({_period_fingerprints(column, "model_rows")}),
        kept as ({_period_fingerprints(column, model.table)})
        select {column} from built full join kept using ({column})
        where (built.fingerprint is distinct from kept.fingerprint)
        """
    ).fetchall()
    replaced = sorted(set(periods) | {period for (period,) in changed})
    connection.execute("begin transaction")
    try:
        connection.execute(
            f"delete from {model.table} where list_contains(?::varchar[], {column})",
            [replaced],
        )
        connection.execute(
            f"insert into {model.table} "
            f"select * from model_rows where list_contains(?::varchar[], {column})",
            [replaced],
        )
        connection.execute("commit")
    except Exception:
        connection.execute("rollback")
        raise
    return replaced


def _table_exists(connection: duckdb.DuckDBPyConnection, model: SqlModel) -> bool:
    return bool(
        connection.execute(
            "select 1 from duckdb_tables() where schema_name = ? and table_name = ?",
            [model.layer, model.name],
        ).fetchall()
    )


def _period_fingerprints(column: str, table: str) -> str:
    """Each period's rows as one value: the count and two sums of the rows' hashes, so
    equal fingerprints mean the same rows, in any order, with a chance of a false match
    too small to count (two 64-bit sums colliding at once). One pass over each table:
    comparing the rows themselves (EXCEPT ALL both ways) took six to nine times as long
    on the medium benchmark's marts and findings."""
    return (
        f"select {column}, (count(*), bit_xor(hash(t)), sum(hash(t)::hugeint)) as fingerprint "
        f"from {table} as t group by {column}"
    )


# The record of what the current returns (RETURN_VERSIONS) were when each incremental
# model was last built.
BUILT_FROM = "build_state.model_inputs"
INPUT_COLUMNS = (
    "authority, reporting_period, reporting_period_end, financial_year_start, file_path, "
    "file_hash, file_judged_at, return_order"
)
BUILT_FROM_DDL = (
    f"create table {BUILT_FROM} (model varchar not null, code_version varchar not null, "
    "authority varchar, reporting_period varchar, reporting_period_end date, "
    "financial_year_start integer, file_path varchar, file_hash varchar, "
    "file_judged_at timestamp, return_order bigint)"
)
# How a record is made and read is part of the code a table's rows come from: a record
# made by another version of this module is not trusted, and the table is built whole.
RECORD_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:8]


def _build_incrementally(
    connection: duckdb.DuckDBPyConnection, model: SqlModel, *, whole: bool = False
) -> list[str | int] | None:
    """Rebuild the model's rows for what changed since it was built (see the module's
    docstring), or all of them if `whole`; the files, periods or years rebuilt, or None
    when the table was built whole."""
    _ensure_record_table(connection)
    column = model.incremental_by
    code_version = f"{model.code_version}/{RECORD_VERSION}"
    inputs = _current_inputs(connection, model)
    if whole or inputs is None or not _can_build_incrementally(connection, model, code_version):
        # The record goes first, so that a build stopped half way leaves none, and the
        # next run builds the table whole again.
        forget_record(connection, model)
        connection.execute(f"create or replace table {model.table} as\n{model.sql}")
        if inputs is not None:
            _record(connection, model, code_version, inputs)
        return None
    built_from = f"(select {INPUT_COLUMNS} from {BUILT_FROM} where model = $model)"
    changed = _rows_in_one_only(f"(from {inputs} select {INPUT_COLUMNS})", built_from)
    if column == "file_path":
        keys_sql = f"select distinct file_path from {changed}"
    elif column == "financial_year_start":
        # Every year from the one before the earliest changed, to the latest any return
        # is of: a year with no return of its own (known from the next one's
        # previous_outturn) is rebuilt too.
        keys_sql = (
            f"select unnest(range(first_year, last_year + 1)) from (select "
            f"(select min(financial_year_start) from {changed}) - 1 as first_year, "
            f"(select max(financial_year_start) from (from {inputs} select "
            f"financial_year_start union all from {built_from} select financial_year_start)) "
            "as last_year) where first_year is not null"
        )
    else:
        keys_sql = (
            f"select distinct reporting_period from (from {inputs} "
            f"select reporting_period, reporting_period_end union all from {built_from} "
            "select reporting_period, reporting_period_end) "
            f"where reporting_period_end >= (select min(reporting_period_end) from {changed})"
        )
    keys = sorted(key for (key,) in connection.execute(keys_sql, {"model": model.table}).fetchall())
    if not keys:
        return []
    connection.execute("begin transaction")
    try:
        connection.execute(f"delete from {model.table} where list_contains(?, {column})", [keys])
        connection.execute(
            f"insert into {model.table} select * from (\n{model.sql}\n) "
            f"where list_contains(?, {column})",
            [keys],
        )
        forget_record(connection, model)
        _record(connection, model, code_version, inputs)
        connection.execute("commit")
    except Exception:
        connection.execute("rollback")
        raise
    return keys


def _ensure_record_table(connection: duckdb.DuckDBPyConnection) -> None:
    """The record table, made again (every incremental table then built whole) where a
    warehouse holds one of another shape."""
    connection.execute("create schema if not exists build_state")
    columns = connection.execute(
        "select column_name from duckdb_columns() "
        "where schema_name = 'build_state' and table_name = 'model_inputs' order by column_index"
    ).fetchall()
    wanted = ["model", "code_version", *INPUT_COLUMNS.split(", ")]
    if [name for (name,) in columns] != wanted:
        connection.execute(f"drop table if exists {BUILT_FROM}")
        connection.execute(BUILT_FROM_DDL)


def _current_inputs(connection: duckdb.DuckDBPyConnection, model: SqlModel) -> str | None:
    """What the model would be built from now, as a relation: the current returns for a
    model that reads none of the incremental models; otherwise what those were built from,
    so a model never records returns whose rows the tables it reads do not yet hold (a
    Dagster run of some models only). None where the tables it reads were built from
    different returns, or one has no record: it is then built whole."""
    if not model.incremental_upstream:
        return RETURN_VERSIONS
    records = [
        f"(select {INPUT_COLUMNS} from {BUILT_FROM} where model = '{table}')"
        for table in model.incremental_upstream
    ]
    first = records[0]
    if not connection.execute(f"select count(*) > 0 from {first}").fetchall()[0][0]:
        return None
    for other in records[1:]:
        (differ,) = connection.execute(
            f"select count(*) from {_rows_in_one_only(first, other)}"
        ).fetchall()[0]
        if differ:
            return None
    return first


def _rows_in_one_only(rows: str, other_rows: str) -> str:
    """The rows of either relation that the other does not hold, as a relation."""
    return (
        f"((from {rows} except all from {other_rows}) "
        f"union all (from {other_rows} except all from {rows}))"
    )


def _record(
    connection: duckdb.DuckDBPyConnection, model: SqlModel, code_version: str, inputs: str
) -> None:
    connection.execute(
        f"insert into {BUILT_FROM} select ? as model, ? as code_version, {INPUT_COLUMNS} "
        f"from {inputs}",
        [model.table, code_version],
    )


def forget_record(connection: duckdb.DuckDBPyConnection, model: SqlModel) -> None:
    """Drop what the model was built from: its next build is whole. Also done when its
    grain check fails, so that the next run checks every row again."""
    connection.execute(f"delete from {BUILT_FROM} where model = ?", [model.table])


def _can_build_incrementally(
    connection: duckdb.DuckDBPyConnection, model: SqlModel, code_version: str
) -> bool:
    """Whether the table exists with the columns the model gives now, and the record of
    its inputs was made by this code."""
    if not _table_exists(connection, model):
        return False
    recorded = connection.execute(
        f"select distinct code_version from {BUILT_FROM} where model = ?", [model.table]
    ).fetchall()
    if recorded != [(code_version,)]:
        return False
    # The columns as the SQL binds them, with no query run.
    table, rows = connection.sql(f"from {model.table}"), connection.sql(model.sql)
    return (table.columns, table.types) == (rows.columns, rows.types)


def _rebuilt_metadata(model: SqlModel, rebuilt: list[str | int] | None) -> dict[str, str | int]:
    what = INCREMENTAL_UNITS[model.incremental_by]
    if rebuilt is None:
        return {f"{what}_rebuilt": "all: built whole"}
    return {f"{what}_rebuilt": len(rebuilt)}
