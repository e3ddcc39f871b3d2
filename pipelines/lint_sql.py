"""Lint the SQL written inside our Python with sqlfluff, as `make lint` lints sql/.

sqlfluff reads .sql files only, so this finds the SQL in the Python with `ast`:
the string (or f-string) query argument of a call to execute, executemany, sql
or our helpers that run a query, and module-level constants named *_SQL or
*_DDL. An f-string's holes are linted as one identifier each: most are table or
column names. One that holds SQL text (a query, a clause) leaves text that does
not parse alone; such a string is counted, not linted.

The configuration is pyproject.toml's [tool.sqlfluff], less the rules that
cannot judge SQL split across Python string pieces: layout (the Python lays the
pieces out, often on one line) and AL03, a name for every selected expression
(Python reads these rows by position). What is left is what a query string can
get wrong: it must parse, and keep the aliasing, ambiguity, capitalisation,
convention, reference and structure rules. Capitalisation is the house style of
sql/: keywords, functions, types and null/true/false in lower case, in the
Python as in the .sql files.

    python -m pipelines.lint_sql [PATH ...]   # default: pipelines assets schemas benchmarks tests

prints file:line: RULE: message for each finding and exits 1 if there is any.
"""

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlfluff.core import FluffConfig, Linter, SQLBaseError

from pipelines.paths import PROJECT_ROOT

# The calls that run a query, and which positional argument is the query.
SQL_CALLS = {"execute": 0, "executemany": 0, "sql": 0, "fetch_row": 1, "_read": 1}
SQL_CONSTANT_SUFFIXES = ("_SQL", "_DDL")
DEFAULT_FOLDERS = ("pipelines", "assets", "schemas", "benchmarks", "tests")
# Stands in for an f-string's hole: a name that parses wherever a table or column can go.
HOLE = "fstring_hole"
# DuckDB's positional parameter, which sqlfluff's duckdb dialect does not lex: linted as a
# name. Only a `?` standing alone, not the `?` of a regex such as '(?i)'.
POSITIONAL_PARAMETER = re.compile(r"(?<=[\s(,=])\?(?=[\s),:]|$)")
PARAMETER = "parameter"
# Statements sqlfluff's duckdb dialect cannot parse at all; they are counted, not linted.
UNPARSABLE_STATEMENTS = re.compile(r"\s*(PRAGMA|ATTACH|DETACH)\b", re.IGNORECASE)
RULES_NOT_FOR_EMBEDDED_SQL = ("layout", "aliasing.expression")


@dataclass(frozen=True)
class EmbeddedSql:
    path: Path
    line: int  # of the string's first line in the Python file
    sql: str


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.message}"


def sql_text(node: ast.expr) -> str | None:
    """The SQL a string or f-string node holds, holes replaced by HOLE; None if not a string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else HOLE for part in node.values
        )
    return None


def embedded_sql(path: Path) -> Iterator[EmbeddedSql]:
    tree = ast.parse(path.read_text(), filename=str(path))
    candidates: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            position = SQL_CALLS.get(called or "")
            if position is not None and len(node.args) > position:
                candidates.append(node.args[position])
    for statement in tree.body:
        if isinstance(statement, ast.Assign | ast.AnnAssign):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            names = [target.id for target in targets if isinstance(target, ast.Name)]
            if statement.value is not None and any(
                name.endswith(SQL_CONSTANT_SUFFIXES) for name in names
            ):
                candidates.append(statement.value)
    for candidate in candidates:
        sql = sql_text(candidate)
        if sql is not None:
            yield EmbeddedSql(path, candidate.lineno, sql)


def embedded_sql_config() -> FluffConfig:
    project = FluffConfig.from_path(str(PROJECT_ROOT))
    # pyproject.toml gives a list; a .sqlfluff file would give a comma-separated string.
    excluded = project.get("exclude_rules") or []
    if isinstance(excluded, str):
        excluded = excluded.split(",")
    return FluffConfig.from_path(
        str(PROJECT_ROOT),
        overrides={"exclude_rules": ",".join([*excluded, *RULES_NOT_FOR_EMBEDDED_SQL])},
    )


@dataclass
class Report:
    findings: list[Finding]
    linted: int
    # An f-string whose hole stands for SQL text (a query, a clause), not a name: the text
    # around the hole does not parse alone.
    holes_not_names: list[EmbeddedSql]
    unparsable_statements: list[EmbeddedSql]


def lint(embedded: list[EmbeddedSql], config: FluffConfig) -> Report:
    linter = Linter(config=config)
    report = Report([], 0, [], [])
    for piece in embedded:
        if UNPARSABLE_STATEMENTS.match(piece.sql):
            report.unparsable_statements.append(piece)
            continue
        sql = POSITIONAL_PARAMETER.sub(PARAMETER, piece.sql)
        violations = linter.lint_string(sql).get_violations()
        if any(
            violation.rule_code() == "PRS" and HOLE in _raw(violation) for violation in violations
        ):
            report.holes_not_names.append(piece)
            continue
        report.linted += 1
        report.findings.extend(
            Finding(
                piece.path,
                piece.line + violation.line_no - 1,
                violation.rule_code(),
                violation.desc(),
            )
            for violation in violations
            # A finding about the stand-in itself (a quoted "{table}") says nothing of the SQL.
            if HOLE not in _raw(violation)
        )
    return report


def _raw(violation: SQLBaseError) -> str:
    """The SQL text a violation is about ('' for one without a segment, such as a lex error)."""
    segment = getattr(violation, "segment", None)
    return segment.raw if segment is not None else ""


def python_files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or [PROJECT_ROOT / folder for folder in DEFAULT_FOLDERS]
    embedded = [piece for path in python_files(paths) for piece in embedded_sql(path)]
    report = lint(embedded, embedded_sql_config())
    for finding in report.findings:
        print(finding)
    print(
        f"SQL in Python: {report.linted} strings linted, {len(report.findings)} findings; "
        f"not linted: {len(report.holes_not_names)} f-strings whose holes hold SQL text, "
        f"{len(report.unparsable_statements)} statements sqlfluff cannot parse"
    )
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
