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
        'COUNT_SQL = "select count(*) as n from t"\n'
        'GREETING = "SELECT is a word here, not a query"\n'
        "connection.execute('delete from t')\n"
        "fetch_row(connection, 'select 1 as one')\n"
        "print(f'select {name}')\n",
    )

    found = sorted((piece.line, piece.sql) for piece in embedded_sql(path))

    assert found == [
        (1, "select count(*) as n from t"),
        (3, "delete from t"),
        (4, "select 1 as one"),
    ]


def test_a_finding_names_the_python_file_line_and_rule(tmp_path, config):
    path = _module(
        tmp_path,
        'rows = connection.sql(\n    """\n    select a from t\n    join u using (a)\n    """\n)\n',
    )

    report = lint(list(embedded_sql(path)), config)

    assert [str(finding).split(": ")[:2] for finding in report.findings] == [[f"{path}:4", "AM05"]]


def test_an_fstring_hole_is_linted_as_a_name(tmp_path, config):
    path = _module(tmp_path, 'connection.sql(f"select a from {table} join u using (a)")\n')

    report = lint(list(embedded_sql(path)), config)

    assert [finding.rule for finding in report.findings] == ["AM05"]


def test_an_fstring_whose_hole_holds_a_query_is_counted_not_linted(tmp_path, config):
    path = _module(tmp_path, 'connection.execute(f"create table t as\\n{model.sql}")\n')

    report = lint(list(embedded_sql(path)), config)

    assert (report.findings, report.linted, len(report.holes_not_names)) == ([], 0, 1)


def test_parameters_parse(tmp_path, config):
    path = _module(
        tmp_path,
        'connection.execute("delete from t where list_contains(?, x) and y = $run_id")\n'
        'connection.execute("insert into t values (?, ?)")\n',
    )

    report = lint(list(embedded_sql(path)), config)

    assert (report.findings, report.linted) == ([], 2)


def test_upper_case_keywords_functions_types_and_literals_are_findings(tmp_path, config):
    path = _module(
        tmp_path,
        'connection.sql("select COUNT(*) AS n, null::VARCHAR AS v from t where TRUE")\n',
    )

    report = lint(list(embedded_sql(path)), config)

    assert sorted(finding.rule for finding in report.findings) == [
        "CP01", "CP01", "CP03", "CP04", "CP05",
    ]  # fmt: skip


def test_a_one_line_query_is_not_held_to_the_layout_rules(tmp_path, config):
    path = _module(
        tmp_path,
        'connection.sql("select a, b from t where a = 1 and b = 2 order by a, b")\n'
        "connection.sql(\n    'select a'\n    ' from t'\n)\n",
    )

    report = lint(list(embedded_sql(path)), config)

    assert (report.findings, report.linted) == ([], 2)


def test_the_command_fails_on_a_finding_and_passes_without(tmp_path, capsys):
    bad = _module(tmp_path, 'connection.sql("select a from t join u using (a)")\n')
    good = tmp_path / "good.py"
    good.write_text('connection.sql("select a from t inner join u using (a)")\n')

    assert (main([str(bad)]), main([str(good)])) == (1, 0)
    assert f"{bad}:1: AM05:" in capsys.readouterr().out


def test_the_command_fails_on_an_upper_case_keyword(tmp_path, capsys):
    path = _module(tmp_path, 'connection.sql("SELECT a from t")\n')

    assert main([str(path)]) == 1
    assert f"{path}:1: CP01:" in capsys.readouterr().out
