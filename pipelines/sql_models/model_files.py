"""Reading the files under sql/ into models.

A model's dependencies come from the SQL itself: sqlglot reads the tables it
selects from, so nobody keeps a list by hand. Its grain, partitioning and
description come from its header comment (header.py).

Reading the project's own models (`project_sql_models`) costs sqlglot a quarter of a
second, at every start of a run and of Dagster's UI; they are kept in the project's
cache and read anew only when a file under sql/, the code here, or the version of
sqlglot (which reads them) or of DuckDB (in each model's code version) has changed.
"""

import hashlib
import os
import pickle
from dataclasses import replace
from pathlib import Path

import duckdb
import sqlglot
from dagster import AssetKey
from sqlglot import expressions as exp

from pipelines.paths import PROJECT_ROOT, SQL_DIR
from pipelines.sql_models.findings import (
    FINDING_COLUMNS,
    FINDING_GRAIN,
    FINDINGS_LAYER,
    FINDINGS_TABLE,
    findings_table_model,
    held_to_findings_contract,
    is_check_file,
    is_findings_model,
)
from pipelines.sql_models.header import read_header
from pipelines.sql_models.model import LAYERS, RETURN_VERSIONS, SqlModel, SqlModelError

MODELS_CACHE = PROJECT_ROOT / ".cache" / "sql-models.pickle"


def project_sql_models() -> list[SqlModel]:
    """The models under the project's sql/, as load_sql_models reads them."""
    fingerprint = _fingerprint()
    try:
        with MODELS_CACHE.open("rb") as cache:
            cached_fingerprint, models = pickle.load(cache)
        if cached_fingerprint == fingerprint:
            return models
    except (OSError, EOFError, pickle.UnpicklingError):
        pass
    models = load_sql_models(SQL_DIR)
    partial = MODELS_CACHE.with_name(f".{MODELS_CACHE.name}.{os.getpid()}.partial")
    try:
        MODELS_CACHE.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(pickle.dumps((fingerprint, models)))
        partial.replace(MODELS_CACHE)
    except OSError:
        partial.unlink(missing_ok=True)  # the next start reads the files again
    return models


def _fingerprint() -> str:
    """What the models are made from: every file under sql/, this package's code, and
    sqlglot's and DuckDB's versions."""
    digest = hashlib.sha256(f"{sqlglot.__version__}\0{duckdb.__version__}".encode())
    code = sorted(Path(__file__).parent.glob("*.py"))
    for path in [*sorted(p for p in SQL_DIR.rglob("*") if p.is_file()), *code]:
        digest.update(f"\0{path}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


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
    models = [*models, findings_table_model(sql_dir, checks)] if checks else models
    return _with_code_versions(models, sql_dir)


def _with_code_versions(models: list[SqlModel], sql_dir: Path) -> list[SqlModel]:
    """Each model with the digest of the code its rows come from (its SQL, the rule
    macros, DuckDB's version and the code versions of the models it reads), and the
    incremental models it reads."""
    macros = "\n".join(path.read_text() for path in sorted((sql_dir / "macros").glob("*.sql")))
    by_key = {model.key: model for model in models}
    versions: dict[AssetKey, str] = {}

    def code_version(model: SqlModel) -> str:
        if model.key not in versions:
            read = sorted(model.upstream & by_key.keys(), key=str)
            upstream = [code_version(by_key[key]) for key in read]
            text = "\n".join([duckdb.__version__, macros, model.sql, *upstream])
            versions[model.key] = hashlib.sha256(text.encode()).hexdigest()[:16]
        return versions[model.key]

    incremental = {model.key: model.table for model in models if model.incremental_by}
    for model in models:
        if model.incremental_by and (
            rebuilt_whole := sorted(
                by_key[key].table
                for key in model.upstream & by_key.keys()
                if key not in incremental and by_key[key].table != RETURN_VERSIONS
            )
        ):
            # Its rows would be rebuilt from that table only for the years, periods or
            # files whose returns changed: after a run that built it but not the table
            # (a Dagster run of some models), the rest would stay behind for good.
            raise SqlModelError(
                f"{model.path}: an incremental model reads only incremental models and "
                f"{RETURN_VERSIONS}, but it reads {', '.join(rebuilt_whole)}, which keeps no "
                "record of the returns it was built from: make that model incremental too"
            )
    return [
        replace(
            model,
            code_version=code_version(model),
            incremental_upstream=tuple(
                sorted(incremental[key] for key in model.upstream if key in incremental)
            ),
        )
        for model in models
    ]


def read_sql_model(path: Path, layer: str) -> SqlModel:
    sql = path.read_text()
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as error:
        raise SqlModelError(f"{path}: the SQL does not parse: {error}") from error
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise SqlModelError(f"{path}: a model is exactly one SELECT statement")
    query = statements[0]
    header = read_header(path, sql)
    grain = header.grain
    column_descriptions = tuple(
        (projection.alias_or_name, " ".join(c.strip() for c in projection.comments))
        for projection in query.selects
        if projection.comments
    )
    if is_check_file(layer, path):
        sql = held_to_findings_contract(path, query, sql)
        grain = FINDING_GRAIN
        column_descriptions = tuple((name, text) for name, _, text in FINDING_COLUMNS)
    if grain is None:
        raise SqlModelError(f"{path}: the header comment must state the model's grain")
    return SqlModel(
        layer=layer,
        name=path.stem,
        path=path,
        sql=sql,
        description=header.description,
        grain=grain,
        upstream=_tables_read(query, path),
        partitioned_by=header.partitioned_by,
        incremental_by=header.incremental_by,
        column_descriptions=column_descriptions,
    )


def tables_read_by(path: Path) -> frozenset[AssetKey]:
    """The tables the one SELECT in `path` reads: the lineage of SQL that is not a model's,
    such as an expectation suite's batch."""
    try:
        query = sqlglot.parse_one(path.read_text(), read="duckdb")
    except sqlglot.errors.ParseError as error:
        raise SqlModelError(f"{path}: the SQL does not parse: {error}") from error
    return _tables_read(query, path)


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
