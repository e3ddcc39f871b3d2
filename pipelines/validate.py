"""`python -m pipelines validate FILE...`: a service lead's check of a return before it is sent.

The files are judged by the run's own code, on a scratch copy: a temporary DuckDB
file gets the published warehouse's raw, validated and quarantine tables (when
there is a published warehouse, so a return is judged against its own history),
then the run's ingest (`load_returns`), gate (`judge_returns`), register and SQL
models (`build_models`, up to `quality.dq_flags`) run on it. What the run would
refuse and what it would flag are read back the run's own way (`return_queries`).
The published warehouse is only ever read; the scratch copy is deleted.

A file under the returns folder is judged as the new version of the file there;
any other file as a new return, under the path given, unless it is said to replace
a return (`--replaces st-helens/2024-25/Q2/priority-3.csv`, the path its query sheet
names).
"""

from __future__ import annotations

import logging
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from assets.raw_returns import load_returns
from assets.reference_data import load_register
from assets.return_gate import judge_returns
from pipelines.paths import SQL_DIR
from pipelines.readers.return_files import file_hash
from pipelines.resources import load_rule_macros
from pipelines.return_queries import MUST_EXPLAIN, MUST_FIX, return_queries
from pipelines.sql_models.model_files import load_sql_models
from pipelines.sql_models.tables import build_models

# The tables a run starts from: what the returns folder has held, and how each file
# version was judged. Every other table is built from them.
HISTORY_SCHEMAS = ("raw", "validated", "quarantine")
FINDINGS_TABLE = "quality.dq_flags"

_log = logging.getLogger(__name__)
# What the ingest and the gate log is in the queries printed; nothing else is said.
_log.addHandler(logging.NullHandler())
_log.propagate = False


class UnreadableWarehouseError(Exception):
    """The published warehouse named cannot be opened; the message says what to do."""


@dataclass(frozen=True)
class Validation:
    """The queries on the files validated (return_queries.QUERY_SCHEMA), and whether the
    files were judged against a published warehouse's history."""

    files: list[tuple[Path, str]]  # each file as given, and the path the run records
    queries: pl.DataFrame
    with_history: Path | None

    @property
    def must_fix(self) -> pl.DataFrame:
        return self.queries.filter(pl.col("must") == MUST_FIX)

    @property
    def must_explain(self) -> pl.DataFrame:
        return self.queries.filter(pl.col("must") == MUST_EXPLAIN)


def validate_returns(
    files: list[Path],
    *,
    returns_dir: Path,
    warehouse: Path,
    expected_returns: Path,
    replacing: str | None = None,
) -> Validation:
    """Judge the files as a run would, writing nothing but a temporary scratch file.
    `replacing` (one file only) is the path under the returns folder of the return the
    file is a new version of, as its query sheet names it."""
    if replacing is not None and len(files) != 1:
        raise ValueError("a file replaces one return: give one file with its path to replace")
    # A file named twice is judged once.
    by_name = {replacing or recorded_path(path, returns_dir): path for path in files}
    recorded = [(path, name) for name, path in by_name.items()]
    asked = pl.DataFrame(
        {
            "file_path": [name for _, name in recorded],
            "file_hash": [file_hash(path.read_bytes()) for path, _ in recorded],
        },
        schema={"file_path": pl.Utf8, "file_hash": pl.Utf8},
    )
    with_history = warehouse if warehouse.is_file() else None
    with (
        tempfile.TemporaryDirectory(prefix="validate-") as scratch_dir,
        duckdb.connect(str(Path(scratch_dir) / "scratch.duckdb")) as scratch,
    ):
        load_rule_macros(scratch)
        if with_history is not None:
            copy_history(scratch, with_history)
        # Missing returns are about returns that did not come, never about a file:
        # no quarter is requested.
        files_as_recorded = [(name, path) for path, name in recorded]
        load_returns(scratch, files_as_recorded, run_id="validate", quarters=[], log=_log)
        judge_returns(scratch, _log)
        load_register(scratch, expected_returns)
        build_models(scratch, load_sql_models(SQL_DIR), table=FINDINGS_TABLE)
        queries = return_queries(scratch, asked)
    return Validation(files=recorded, queries=queries, with_history=with_history)


def recorded_path(path: Path, returns_dir: Path) -> str:
    """The path a run records for the file: under the returns folder, its path there
    (so it replaces the version there); elsewhere, the path as given."""
    try:
        return path.resolve().relative_to(returns_dir.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def copy_history(scratch: duckdb.DuckDBPyConnection, warehouse: Path) -> None:
    """Copy the tables a run starts from out of the published warehouse, opened read-only."""
    quoted = "'" + str(warehouse).replace("'", "''") + "'"
    try:
        scratch.execute(f"attach {quoted} as published (read_only)")
    except duckdb.Error as error:
        raise UnreadableWarehouseError(
            f"the warehouse {warehouse} cannot be read ({error}): name another with "
            "--warehouse, or one that does not exist to judge the files on their own"
        ) from error
    try:
        tables = scratch.sql(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = 'published' and list_contains(?, schema_name) "
            "order by all",
            params=[list(HISTORY_SCHEMAS)],
        ).fetchall()
        for schema, table in tables:
            scratch.execute(f'create schema if not exists "{schema}"')
            scratch.execute(
                f'create table "{schema}"."{table}" as from published."{schema}"."{table}"'
            )
    finally:
        scratch.execute("detach published")


def describe(validation: Validation) -> str:
    """What a service lead reads: per file, what must be fixed and what must be explained,
    each with its row, column or check, value and what was expected."""
    lines: list[str] = []
    history = (
        f"against the history in {validation.with_history}"
        if validation.with_history
        else "on its own (no published warehouse, so no history to compare with)"
    )
    for given, name in validation.files:
        queries = validation.queries.filter(pl.col("file_path") == name)
        fix = queries.filter(pl.col("must") == MUST_FIX)
        explain = queries.filter(pl.col("must") == MUST_EXPLAIN)
        verdict = (
            "REFUSED: the run would not load what is listed under 'must be fixed'"
            if fix.height
            else "accepted"
        )
        as_return = f" (as {name})" if name != given.as_posix() else ""
        lines.append(f"{given}{as_return}: {verdict}; judged {history}.")
        lines.append(f"  Must be fixed: {fix.height}")
        lines += [f"    {line}" for query in fix.iter_rows(named=True) for line in _lines(query)]
        lines.append(f"  Must be explained: {explain.height}")
        lines += [
            f"    {line}" for query in explain.iter_rows(named=True) for line in _lines(query)
        ]
    return "\n".join(printable(line) for line in lines)


def printable(text: str) -> str:
    """The text with control and invisible formatting characters (a terminal escape, a
    right-to-left override) shown as escapes: cells and file names are hostile input."""
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cf") else c for c in text
    )


def _lines(query: dict[str, object]) -> list[str]:
    """A query in two lines: where it is and what it holds, then what the run says."""
    where = f"row {query['row_number']}" if query["row_number"] is not None else "the file"
    if query["ref"]:
        where += f", ref {query['ref']}"
    if query["column_name"]:
        where += f", column {query['column_name']}"
    if query["check_name"]:
        period = f", {query['period']}" if query["period"] else ""
        where += f" ({query['kind']} {query['check_name']}{period})"
    held = [f"value {query['value']!r}"] if query["value"] is not None else []
    if query["expected"]:
        held.append(f"expected {query['expected']}")
    return [f"{where}: {', '.join(held)}" if held else where, f"  {query['message']}"]
