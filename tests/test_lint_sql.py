"""The SQL inside our Python is linted by sqlfluff with the project's configuration
(pipelines/lint_sql.py), as `make lint` runs it."""

from pathlib import Path

import pytest

from pipelines.lint_sql import embedded_sql, embedded_sql_config, lint, main


@pytest.fixture(scope="module")
def config():
    return embedded_sql_config()


def _module(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "module.py"
    path.write_text(source)
    return path


def test_finds_the_sql_of_query_calls_and_sql_constants_only(tmp_path):
    path = _module(
        tmp_path,
        'COUNT_SQL = "SELECT count(*) AS n FROM t"\n'
        'GREETING = "SELECT is a word here, not a query"\n'
        "connection.execute('DELETE FROM t')\n"
        "fetch_row(connection, 'SELECT 1 AS one')\n"
        "print(f'SELECT {name}')\n",
    )

    found = sorted((piece.line, piece.sql) for piece in embedded_sql(path))

    assert found == [
        (1, "SELECT count(*) AS n FROM t"),
        (3, "DELETE FROM t"),
        (4, "SELECT 1 AS one"),
    ]


def test_a_finding_names_the_python_file_line_and_rule(tmp_path, config):
    path = _module(
        tmp_path,
        'rows = connection.sql(\n    """\n    SELECT a FROM t\n    JOIN u USING (a)\n    """\n)\n',
    )

    report = lint(list(embedded_sql(path)), config)

    assert [str(finding).split(": ")[:2] for finding in report.findings] == [[f"{path}:4", "AM05"]]


def test_an_fstring_hole_is_linted_as_a_name(tmp_path, config):
    path = _module(tmp_path, 'connection.sql(f"SELECT a FROM {table} JOIN u USING (a)")\n')

    report = lint(list(embedded_sql(path)), config)

    assert [finding.rule for finding in report.findings] == ["AM05"]


def test_an_fstring_whose_hole_holds_a_query_is_counted_not_linted(tmp_path, config):
    path = _module(tmp_path, 'connection.execute(f"CREATE TABLE t AS\\n{model.sql}")\n')

    report = lint(list(embedded_sql(path)), config)

    assert (report.findings, report.linted, len(report.holes_not_names)) == ([], 0, 1)


def test_parameters_parse_and_upper_case_keywords_pass(tmp_path, config):
    path = _module(
        tmp_path,
        'connection.execute("DELETE FROM t WHERE list_contains(?, x) AND y = $run_id")\n'
        'connection.execute("INSERT INTO t VALUES (?, ?)")\n',
    )

    report = lint(list(embedded_sql(path)), config)

    assert (report.findings, report.linted) == ([], 2)


def test_the_command_fails_on_a_finding_and_passes_without(tmp_path, capsys):
    bad = _module(tmp_path, 'connection.sql("SELECT a FROM t JOIN u USING (a)")\n')
    good = tmp_path / "good.py"
    good.write_text('connection.sql("SELECT a FROM t INNER JOIN u USING (a)")\n')

    assert (main([str(bad)]), main([str(good)])) == (1, 0)
    assert f"{bad}:1: AM05:" in capsys.readouterr().out
