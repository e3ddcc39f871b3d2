"""The data-quality report of a run: one self-contained HTML page a person can read.

It is written after the run, whatever happened in it, from the build
warehouse: the Great Expectations results (quality.expectation_results), the
findings (quality.dq_flags): how many of each check, then each finding with
the file and row to open, the most severe first and at most FINDINGS_SHOWN of
them; and how many values the outlier check could not judge. Severity is shown
as a word and a shape as well as a colour.
"""

from __future__ import annotations

import datetime as dt
import html
import shutil
from collections.abc import Sequence
from pathlib import Path

import duckdb

SEVERITY_ORDER = ("ERROR", "WARN", "INFO")
# A page of more findings than this is not read; the warehouse holds them all.
FINDINGS_SHOWN = 2000
FINDING_HEADERS = ("Severity", "Authority", "Period", "Ref", "Check", "What is wrong",
                   "Observed", "Expected", "Where")  # fmt: skip
FINDING_HEADERS = ("Severity", "Authority", "Period", "Ref", "Check", "What is wrong",
                   "Observed", "Expected", "Where")  # fmt: skip
_SEVERITY_RANK = "CASE severity WHEN 'ERROR' THEN 0 WHEN 'WARN' THEN 1 ELSE 2 END"
SEVERITY_MARK = {"ERROR": "\u25a0 ERROR", "WARN": "\u25b2 WARN", "INFO": "\u25cf INFO"}

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1a1a1a; max-width: 80rem; }
table { border-collapse: collapse; margin: 0 0 1.5rem; width: 100%; }
th, td { border: 1px solid #888; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #e8e8e8; }
.ERROR { color: #8b0000; font-weight: bold; } .WARN { color: #7a4a00; } .INFO { color: #1f4e79; }
.failed { color: #8b0000; font-weight: bold; } .passed { color: #1b5e20; }
"""


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], classes: Sequence[str] = ()
) -> str:
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in headers)
    body = "".join(
        f'<tr class="{classes[i] if i < len(classes) else ""}">'
        + "".join(f"<td>{html.escape('' if cell is None else str(cell))}</td>" for cell in row)
        + "</tr>"
        for i, row in enumerate(rows)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _existing(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(
        connection.sql(
            "SELECT 1 FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
            params=[schema, name],
        ).fetchall()
    )


def flag_counts(connection: duckdb.DuckDBPyConnection, periods: list[str]) -> dict[str, int]:
    """Findings of the given reporting periods by severity, every severity present."""
    counts = dict.fromkeys(SEVERITY_ORDER, 0)
    if _existing(connection, "quality.dq_flags"):
        counts |= dict(
            connection.sql(
                "SELECT severity, count(*) FROM quality.dq_flags "
                "WHERE list_contains(?::VARCHAR[], reporting_period) GROUP BY 1",
                params=[periods],
            ).fetchall()
        )
    return counts


def write_quality_report(
    build_warehouse: Path, reports_dir: Path, run_id: str, published: bool, periods: list[str]
) -> Path:
    """The page for a run: the findings of the reporting periods it built."""
    with duckdb.connect(str(build_warehouse), read_only=True) as connection:
        counts = flag_counts(connection, periods)
        sections = [
            _expectations_section(connection),
            _findings_section(connection, periods),
            _not_judged_section(connection),
        ]
    status = (
        "The warehouse was published."
        if published
        else "The warehouse was NOT published: the last published warehouse is unchanged."
    )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Data quality, run {html.escape(run_id)}</title><style>{STYLE}</style></head><body>"
        f"<h1>Data quality of run {html.escape(run_id)}</h1>"
        f"<p>{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. {status}</p>"
        "<h2>Findings by severity</h2>"
        + _table(["Severity", "Findings"], [(SEVERITY_MARK[s], counts[s]) for s in SEVERITY_ORDER])
        + "".join(sections)
        + "</body></html>"
    )
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / f"run-{run_id}.html"
    path.write_text(page, encoding="utf-8")
    shutil.copyfile(path, reports_dir / "latest.html")
    return path


def _expectations_section(connection: duckdb.DuckDBPyConnection) -> str:
    if not _existing(connection, "quality.expectation_results"):
        return "<h2>Expectations</h2><p>No suite ran.</p>"
    rows = connection.sql(
        "SELECT suite, expectation, arguments, severity, "
        "CASE WHEN success THEN 'passed' ELSE 'FAILED' END, unexpected_count, unexpected_examples "
        "FROM quality.expectation_results ORDER BY success, suite, severity, expectation"
    ).fetchall()
    return "<h2>Expectations (Great Expectations suites)</h2>" + _table(
        ["Table", "Expectation", "Arguments", "Severity", "Result", "Unexpected", "Examples"],
        rows,
        ["passed" if row[4] == "passed" else "failed" for row in rows],
    )


def _findings_section(connection: duckdb.DuckDBPyConnection, periods: list[str]) -> str:
    if not _existing(connection, "quality.dq_flags"):
        return "<h2>Findings</h2><p>The checks did not run.</p>"
    in_periods = "WHERE list_contains($periods::VARCHAR[], reporting_period)"
    by_check = connection.sql(
        f"""
        SELECT severity, check_name, count(*) AS findings, count(DISTINCT authority)
        FROM quality.dq_flags {in_periods}
        GROUP BY severity, check_name ORDER BY {_SEVERITY_RANK}, findings DESC, check_name
        """,
        params={"periods": periods},
    ).fetchall()
    if not by_check:
        return "<h2>Findings</h2><p>No findings.</p>"
    rows = connection.sql(
        f"""
        SELECT severity, authority, reporting_period, ref, check_name, message, observed,
               expected, source_file_path || coalesce(' row ' || source_row_number, '')
        FROM quality.dq_flags {in_periods}
        ORDER BY {_SEVERITY_RANK}, authority, reporting_period, check_name, ref
        LIMIT $shown
        """,
        params={"periods": periods, "shown": FINDINGS_SHOWN},
    ).fetchall()
    total = sum(n for _, _, n, _ in by_check)
    more = (
        f"<p>The first {FINDINGS_SHOWN:,} of {total:,} findings, the most severe first; all of "
        "them are in the warehouse: <code>SELECT * FROM quality.dq_flags</code>.</p>"
        if total > len(rows)
        else ""
    )
    return (
        "<h2>Findings by check</h2>"
        + _table(
            ["Severity", "Check", "Findings", "Authorities"],
            [(SEVERITY_MARK[severity], *rest) for severity, *rest in by_check],
            [severity for severity, *_ in by_check],
        )
        + "<h2>Findings</h2>"
        + more
        + _table(
            FINDING_HEADERS,
            [(SEVERITY_MARK[row[0]], *row[1:]) for row in rows],
            [row[0] for row in rows],
        )
    )


def _not_judged_section(connection: duckdb.DuckDBPyConnection) -> str:
    if not _existing(connection, "quality.value_history"):
        return ""
    (not_judged,) = connection.sql(
        "SELECT count(*) FROM quality.value_history WHERE NOT judged"
    ).fetchall()[0]
    return (
        "<h2>Not judged</h2>"
        f"<p>{not_judged} values were not judged for outliers: their indicator's history is "
        "too short (fewer earlier values than the check needs) or never varied.</p>"
    )
