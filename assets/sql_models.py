"""Steps 3 to 6, the SQL models: each file under sql/staging, sql/intermediate,
sql/marts and sql/quality is one `SELECT`, materialised as a table in the DuckDB
schema named by its folder, and one Dagster asset.

A model's dependencies come from the SQL itself: sqlglot reads the tables it
selects from, so nobody keeps a list by hand. A model states its grain in its
header comment (`-- grain: authority, ref, period_key`); the grain becomes a
blocking check that no two rows share it. A model whose rows belong to a
reporting period says so (`-- partitioned by: reporting_period`): it is
partitioned by financial quarter, and a run for some quarters replaces those
quarters' rows, and the rows of any other quarter its inputs changed; every
other quarter's rows stay exactly as they were.

Each data-quality check model (sql/quality/check_*.sql) is held to one findings
contract, here rather than in each file: it selects exactly the contract's
columns (FINDING_COLUMNS), which the loader casts to the contract's types, and
its grain is the contract's (FINDING_GRAIN: the check, the return row and the
period it is about), whatever its header says. quality.dq_flags is not a file:
the loader assembles it from every check model it finds, so a new check cannot
be left out. A check model also gets a check that shows its findings in Dagster:
passed when it found nothing, otherwise failed with the severity of its worst
finding and the counts by severity. Nothing about findings blocks: a finding is
for people to act on and the tables are still right, and even two findings
sharing the grain (a fault in a check model, not in the tables) are a warning.

Each model is one asset, but the models of a layer are built in one step
(`staging_models`, `marts_models`, ...), in the order they read each other,
with each model's checks run right after it is built: Dagster's cost per step
(its events written to SQLite) is more than most models' SQL, so a step per
model and per check would be most of a run. A failed grain check fails the
step, after the layer's other models; nothing that reads the table is built.
"""

import os
import re
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb
import sqlglot
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    MaterializeResult,
    TableColumn,
    TableSchema,
    multi_asset,
)
from sqlglot import expressions as exp

from pipelines.partitions import FINANCIAL_QUARTERS, reporting_period
from pipelines.paths import PROJECT_ROOT
from pipelines.resources import Warehouse, fetch_row

LAYERS = ("staging", "intermediate", "marts", "quality", "audit")
# A quality model named check_* holds one data-quality check's findings.
FINDINGS_PREFIX = "check_"
FINDINGS_LAYER = "quality"
# Every finding of every check, assembled by the loader.
FINDINGS_TABLE = "dq_flags"

# The findings contract: (column, type, description), in this order.
FINDING_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("authority", "VARCHAR", "The council whose return the finding is about."),
    ("reporting_period", "VARCHAR",
     "The reporting period of the return to put right, e.g. '2024-25 Q2'."),
    ("priority_number", "SMALLINT",
     "The strategy priority the indicator is filed under; NULL where there is none."),
    ("ref", "VARCHAR",
     "The indicator (or milestone) the finding is about; NULL for a whole return or file."),
    ("period_key", "VARCHAR",
     "The period of the figure the finding is about; NULL where it is about the return."),
    ("check_name", "VARCHAR", "The check that found it, e.g. 'reported_variance_mismatch'."),
    ("severity", "VARCHAR",
     "ERROR (the figure cannot be right, or a file must be resent), WARN (it needs a look or "
     "an explanation) or INFO (worth knowing: a cell that says nothing, a figure restated)."),
    ("message", "VARCHAR", "What was found, in a sentence for the service lead."),
    ("observed", "VARCHAR", "What the return says."),
    ("expected", "VARCHAR", "What the check expected instead."),
    ("source_file_path", "VARCHAR",
     "The return file to open, relative to the returns folder; NULL where none has arrived."),
    ("source_row_number", "INTEGER", "The row of that file, as the spreadsheet numbers it."),
)  # fmt: skip
# A finding is one check's, about one row of one file (or one missing return) and period:
# two findings of one check on one row are one finding.
FINDING_GRAIN = (
    "authority", "reporting_period", "check_name", "priority_number", "ref", "period_key",
    "source_file_path", "source_row_number",
)  # fmt: skip
_FINDINGS_TABLE_DESCRIPTION = """\
Every data-quality finding of the run, one row each: what a service lead
reads to put a return right. Assembled from every check model
(sql/quality/check_*.sql), each held to the same columns.
severity: ERROR (the figure cannot be right, or a file must be resent), WARN
(it needs a look or an explanation), INFO (worth knowing)."""
_GRAIN_LINE = re.compile(r"^--\s*grain:\s*(.+)$", re.IGNORECASE)
_PARTITION_LINE = re.compile(r"^--\s*partitioned by:\s*(\w+)\s*$", re.IGNORECASE)


class SqlModelError(Exception):
    """A file under sql/ that is not a model the pipeline can build."""


@dataclass(frozen=True)
class SqlModel:
    layer: str
    name: str
    path: Path
    sql: str
    description: str
    grain: tuple[str, ...]
    upstream: frozenset[AssetKey]
    # The column holding the reporting period, for a model whose rows belong to
    # one: a run for a financial quarter replaces that quarter's rows only.
    partitioned_by: str | None = None
    # Each output column's description: the comment beside it in the final SELECT.
    column_descriptions: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> AssetKey:
        return AssetKey([self.layer, self.name])

    @property
    def table(self) -> str:
        return f"{self.layer}.{self.name}"


def load_sql_models(sql_dir: Path) -> list[SqlModel]:
    """Every model under sql/, layer by layer, each file read and checked once, and the
    findings table assembled from the check models found."""
    models = [
        read_sql_model(path, layer)
        for layer in LAYERS
        for path in sorted((sql_dir / layer).glob("*.sql"))
    ]
    if any(model.table == f"{FINDINGS_LAYER}.{FINDINGS_TABLE}" for model in models):
        raise SqlModelError(
            f"{sql_dir / FINDINGS_LAYER / FINDINGS_TABLE}.sql: {FINDINGS_LAYER}.{FINDINGS_TABLE} "
            "is assembled from the check models; delete the file"
        )
    checks = [model for model in models if is_findings_model(model)]
    return [*models, findings_table_model(sql_dir, checks)] if checks else models


def findings_table_model(sql_dir: Path, checks: list[SqlModel]) -> SqlModel:
    """quality.dq_flags: every check model's findings, one after another. The loader
    casts each check's columns to the contract, so a plain UNION ALL lines them up."""
    sql = "\nunion all\n".join(f"select * from {check.table}" for check in checks)
    return SqlModel(
        layer=FINDINGS_LAYER,
        name=FINDINGS_TABLE,
        path=sql_dir / FINDINGS_LAYER,
        sql=sql,
        description=_FINDINGS_TABLE_DESCRIPTION,
        grain=FINDING_GRAIN,
        upstream=frozenset(check.key for check in checks),
        partitioned_by="reporting_period",
        column_descriptions=tuple((name, text) for name, _, text in FINDING_COLUMNS),
    )


def read_sql_model(path: Path, layer: str) -> SqlModel:
    sql = path.read_text()
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as error:
        raise SqlModelError(f"{path}: the SQL does not parse: {error}") from error
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise SqlModelError(f"{path}: a model is exactly one SELECT statement")
    query = statements[0]
    header = _header_comment(sql)
    grain = next((m.group(1) for line in header if (m := _GRAIN_LINE.match(line))), None)
    partitioned_by = next(
        (m.group(1) for line in header if (m := _PARTITION_LINE.match(line))), None
    )
    column_descriptions = tuple(
        (projection.alias_or_name, " ".join(c.strip() for c in projection.comments))
        for projection in query.selects
        if projection.comments
    )
    if _is_check_file(layer, path):
        sql = _held_to_findings_contract(path, query, sql)
        grain = ", ".join(FINDING_GRAIN)
        column_descriptions = tuple((name, text) for name, _, text in FINDING_COLUMNS)
    if grain is None:
        raise SqlModelError(f"{path}: the header comment must state the model's grain")
    return SqlModel(
        layer=layer,
        name=path.stem,
        path=path,
        sql=sql,
        description="\n".join(
            line.removeprefix("--").strip()
            for line in header
            if not _GRAIN_LINE.match(line) and not _PARTITION_LINE.match(line)
        ).strip(),
        grain=tuple(column.strip() for column in grain.split(",")),
        upstream=_tables_read(query, path),
        partitioned_by=partitioned_by,
        column_descriptions=column_descriptions,
    )


def _is_check_file(layer: str, path: Path) -> bool:
    return layer == FINDINGS_LAYER and path.stem.startswith(FINDINGS_PREFIX)


def _held_to_findings_contract(path: Path, query: exp.Query, sql: str) -> str:
    """The check model's SQL with its columns in the contract's order and types; a check
    that selects other columns is refused with the difference."""
    selected = [projection.alias_or_name for projection in query.selects]
    expected = [name for name, _, _ in FINDING_COLUMNS]
    if sorted(selected) != sorted(expected):
        missing = [name for name in expected if name not in selected]
        extra = [name for name in selected if name not in expected]
        raise SqlModelError(
            f"{path}: a check model selects exactly the findings columns "
            f"({', '.join(expected)}); missing: {', '.join(missing) or 'none'}; "
            f"not in the contract: {', '.join(extra) or 'none'}"
        )
    columns = ",\n    ".join(
        f"cast({name} as {type_}) as {name}" for name, type_, _ in FINDING_COLUMNS
    )
    return f"select\n    {columns}\nfrom (\n{sql.rstrip().rstrip(';')}\n) as findings"


def _header_comment(sql: str) -> list[str]:
    lines: list[str] = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line)
    return lines


def _tables_read(query: exp.Query, path: Path) -> frozenset[AssetKey]:
    cte_names = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
    upstream: set[AssetKey] = set()
    for table in query.find_all(exp.Table):
        if table.db:
            upstream.add(AssetKey([table.db, table.name]))
        elif table.name not in cte_names:
            raise SqlModelError(
                f"{path}: '{table.name}' is neither a CTE nor named with its schema "
                f"(write e.g. staging.{table.name})"
            )
    return frozenset(upstream)


def build_layer_assets(models: list[SqlModel]) -> list[AssetsDefinition]:
    """The models as assets, one step per layer: `staging_models`, `marts_models`, and
    `<layer>_models_by_quarter` for a layer's models partitioned by quarter."""
    layers: dict[tuple[str, bool], list[SqlModel]] = {}
    for model in models:
        layers.setdefault((model.layer, model.partitioned_by is not None), []).append(model)
    return [
        _build_layer_asset(
            f"{layer}_models" + ("_by_quarter" if by_quarter else ""), group, by_quarter
        )
        for (layer, by_quarter), group in layers.items()
    ]


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
    for model in _in_build_order(list(needed.values())):
        _build_table(connection, model, [])


def _in_build_order(models: list[SqlModel]) -> list[SqlModel]:
    by_key = {model.key: model for model in models}
    order = TopologicalSorter(
        {model.key: sorted(model.upstream & by_key.keys(), key=str) for model in models}
    )
    return [by_key[key] for key in order.static_order()]


def _build_layer_asset(name: str, models: list[SqlModel], partitioned: bool) -> AssetsDefinition:
    """Each model stays its own asset, with its lineage, checks and metadata; the models of
    a layer are built in one step, one after another, as dagster-dbt builds a dbt
    project: Dagster's cost per step is more than most models' SQL."""
    models = _in_build_order(models)

    @multi_asset(
        name=name,
        specs=[
            AssetSpec(
                model.key,
                deps=sorted(model.upstream, key=lambda key: key.to_user_string()),
                group_name=model.layer,
                description=model.description,
                kinds={"duckdb", "sql"},
                metadata={
                    "sql_file": Path(os.path.relpath(model.path, PROJECT_ROOT)).as_posix(),
                    "grain": ", ".join(model.grain),
                    "dagster/column_schema": _column_schema(model, {}),
                },
                # Not built when a table it reads failed its grain check.
                skippable=True,
            )
            for model in models
        ],
        check_specs=[spec for model in models for spec in model_check_specs(model)],
        can_subset=True,
        partitions_def=FINANCIAL_QUARTERS if partitioned else None,
        # Backfilling many quarters is one run that replaces them all at once.
        backfill_policy=BackfillPolicy.single_run() if partitioned else None,
    )
    def build_tables(context: AssetExecutionContext, warehouse: Warehouse):
        periods = [reporting_period(key) for key in context.partition_keys] if partitioned else []
        # A table whose rows share its grain, and every table built from one.
        unusable: set[AssetKey] = set()
        with warehouse.connect() as connection:
            for model in models:
                if model.key not in context.selected_asset_keys:
                    continue
                if model.upstream & unusable:
                    unusable.add(model.key)
                    context.log.error(f"{model.table} is not built: a table it reads has rows "
                                      "that share its grain")  # fmt: skip
                    continue
                result = _build_table(connection, model, periods)
                if grain_check_blocks(model) and not all(
                    c.passed for c in result.check_results if c.check_name == GRAIN_CHECK
                ):
                    unusable.add(model.key)
                yield result

    return build_tables


def _build_table(
    connection: duckdb.DuckDBPyConnection, model: SqlModel, periods: list[str]
) -> MaterializeResult:
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {model.layer}")
    replaced: list[str] = []
    if model.partitioned_by:
        replaced = _replace_periods(connection, model, periods)
    else:
        connection.execute(f"CREATE OR REPLACE TABLE {model.table} AS\n{model.sql}")
    _comment_on(connection, model)
    (row_count,) = fetch_row(connection, f"SELECT count(*) FROM {model.table}")
    types = dict(
        connection.sql(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
            params=[model.layer, model.name],
        ).fetchall()
    )
    check_results = [check_grain(connection, model)]
    if is_findings_model(model):
        check_results.append(check_findings(connection, model))
    return MaterializeResult(
        asset_key=model.key,
        metadata={
            "dagster/row_count": row_count,
            "dagster/column_schema": _column_schema(model, types),
            **({"periods_replaced": ", ".join(replaced)} if model.partitioned_by else {}),
        },
        check_results=check_results,
    )


def _column_schema(model: SqlModel, types: dict[str, str]) -> TableSchema:
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
    comments = [f"COMMENT ON TABLE {model.table} IS {_sql_text(model.description)}"] + [
        f"COMMENT ON COLUMN {model.table}.{column} IS {_sql_text(description)}"
        for column, description in model.column_descriptions
    ]
    connection.execute("BEGIN TRANSACTION;\n" + ";\n".join(comments) + ";\nCOMMIT")


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _replace_periods(
    connection: duckdb.DuckDBPyConnection, model: SqlModel, periods: list[str]
) -> list[str]:
    """Replace the rows of the given reporting periods, and of any other period whose rows
    the model now gives differently (by the periods' fingerprints), in one transaction;
    the periods replaced.

    Upstream models are rebuilt from all of raw on every run, so a correction to an
    earlier quarter's return, or a figure a later trend rests on, changes that quarter's
    rows even when the run is for another: leaving them would publish a mart that
    contradicts the fact table it counts. A period whose rows are unchanged is not
    touched."""
    column = model.partitioned_by
    connection.execute(f"CREATE OR REPLACE TEMP TABLE model_rows AS\n{model.sql}")
    exists = connection.sql(
        "SELECT 1 FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
        params=[model.layer, model.name],
    ).fetchall()
    if not exists or (
        connection.sql(f"DESCRIBE {model.table}").fetchall()
        != connection.sql("DESCRIBE model_rows").fetchall()
    ):
        # New, or its columns changed since it was built: every period is rebuilt rather
        # than some left in the old shape, in one statement. (Not inside a transaction:
        # a table created and filled in one showed its row count but not its rows to the
        # run's other connections, in DuckDB 2.0.0.)
        connection.execute(f"CREATE OR REPLACE TABLE {model.table} AS SELECT * FROM model_rows")
        return [p for (p,) in connection.sql(
            f"SELECT DISTINCT {column} FROM model_rows ORDER BY 1").fetchall()]  # fmt: skip
    changed = connection.sql(
        f"""
        WITH built AS ({_period_fingerprints(column, "model_rows")}),
        kept AS ({_period_fingerprints(column, model.table)})
        SELECT {column} FROM built FULL JOIN kept USING ({column})
        WHERE (built.fingerprint IS DISTINCT FROM kept.fingerprint)
        """
    ).fetchall()
    replaced = sorted(set(periods) | {period for (period,) in changed})
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(
            f"DELETE FROM {model.table} WHERE list_contains(?::VARCHAR[], {column})",
            [replaced],
        )
        connection.execute(
            f"INSERT INTO {model.table} "
            f"SELECT * FROM model_rows WHERE list_contains(?::VARCHAR[], {column})",
            [replaced],
        )
        connection.execute("COMMIT")
    except Exception:
        connection.execute("ROLLBACK")
        raise
    return replaced


def _period_fingerprints(column: str, table: str) -> str:
    """Each period's rows as one value: the count and two sums of the rows' hashes, so
    equal fingerprints mean the same rows, in any order, with a chance of a false match
    too small to count (two 64-bit sums colliding at once). One pass over each table:
    comparing the rows themselves (EXCEPT ALL both ways) took six to nine times as long
    on the medium benchmark's marts and findings."""
    return (
        f"SELECT {column}, (count(*), bit_xor(hash(t)), sum(hash(t)::HUGEINT)) AS fingerprint "
        f"FROM {table} AS t GROUP BY {column}"
    )


GRAIN_CHECK = "grain_is_unique"
FINDINGS_CHECK = "found_nothing"


def model_check_specs(model: SqlModel) -> list[AssetCheckSpec]:
    specs = [
        AssetCheckSpec(
            GRAIN_CHECK,
            asset=model.key,
            blocking=grain_check_blocks(model),
            description=f"No two rows of {model.table} share its grain ({', '.join(model.grain)}).",
        )
    ]
    if is_findings_model(model):
        specs.append(
            AssetCheckSpec(
                FINDINGS_CHECK,
                asset=model.key,
                blocking=False,
                description=f"{model.description.splitlines()[0]} "
                "Passes when there are no findings.",
            )
        )
    return specs


def check_grain(connection: duckdb.DuckDBPyConnection, model: SqlModel) -> AssetCheckResult:
    grain = ", ".join(model.grain)
    duplicates = connection.sql(
        f"SELECT {grain}, count(*) AS n_rows FROM {model.table} "
        f"GROUP BY ALL HAVING count(*) > 1 ORDER BY n_rows DESC LIMIT 5"
    ).fetchall()
    return AssetCheckResult(
        asset_key=model.key,
        check_name=GRAIN_CHECK,
        passed=not duplicates,
        severity=AssetCheckSeverity.ERROR if grain_check_blocks(model) else AssetCheckSeverity.WARN,
        metadata={"example_duplicates": str(duplicates), "grain": grain},
    )


def is_findings_model(model: SqlModel) -> bool:
    """A data-quality check's model (sql/quality/check_*.sql)."""
    return model.layer == FINDINGS_LAYER and model.name.startswith(FINDINGS_PREFIX)


def grain_check_blocks(model: SqlModel) -> bool:
    """Rows sharing a grain make a table wrong, except findings: a repeated finding is a
    fault in a check model to fix, never a reason to stop publication."""
    return not (is_findings_model(model) or model.table == f"{FINDINGS_LAYER}.{FINDINGS_TABLE}")


def check_findings(connection: duckdb.DuckDBPyConnection, model: SqlModel) -> AssetCheckResult:
    by_severity = dict(
        connection.sql(f"SELECT severity, count(*) FROM {model.table} GROUP BY severity").fetchall()
    )
    return AssetCheckResult(
        asset_key=model.key,
        check_name=FINDINGS_CHECK,
        passed=not by_severity,
        severity=AssetCheckSeverity.ERROR if "ERROR" in by_severity else AssetCheckSeverity.WARN,
        metadata={f"findings_{s.lower()}": n for s, n in sorted(by_severity.items())}
        | {"findings": sum(by_severity.values())},
    )
