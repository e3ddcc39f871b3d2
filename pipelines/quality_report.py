"""The data-quality report of a run: one self-contained HTML page a person can read.

It is written after the run, whatever happened in it, from the build
warehouse, for the people who send and use the returns. It leads with the
findings (quality.dq_flags) return by return and severity by severity in plain
words; then how many of each check, and each finding with the file and row to
open, the most severe first and at most FINDINGS_SHOWN of them; then how many
values the outlier check could not judge; and last, for the data team, the
Great Expectations results (quality.expectation_results). Severity is shown as
a word and a shape as well as a colour; on a phone the page reflows and a wide
table scrolls inside its own box.
"""

from __future__ import annotations

import datetime as dt
import html
import shutil
from collections.abc import Sequence
from pathlib import Path

import duckdb

from pipelines.quarters import Quarter

SEVERITY_ORDER = ("ERROR", "WARN", "INFO")
# A page of more findings than this is not read; the warehouse holds them all.
FINDINGS_SHOWN = 2000
FINDING_HEADERS = ("Severity", "Authority", "Period", "Ref", "Check", "What is wrong",
                   "Observed", "Expected", "Where")  # fmt: skip
_SEVERITY_RANK = "case severity when 'ERROR' then 0 when 'WARN' then 1 else 2 end"
SEVERITY_MARK = {"ERROR": "\u25a0 ERROR", "WARN": "\u25b2 WARN", "INFO": "\u25cf INFO"}
SEVERITY_MEANING = {
    "ERROR": "the figures are wrong until the return is corrected",
    "WARN": "the service should explain or correct it",
    "INFO": "for information: nothing needs doing",
}
# Each check in a reader's words; a check not named here is shown by its name.
CHECK_WORDS = {
    "cumulative_falls": "a year-to-date count that falls",
    "due_value_missing": "a value due but neither given nor explained",
    "indicator_dropped": "an indicator dropped since the last return",
    "milestone_dropped": "a milestone dropped since the last return",
    "milestone_slipped": "a milestone's date moved later",
    "missing_return": "a return expected but not received",
    "negative_count": "a negative count",
    "percentage_out_of_range": "a percentage outside 0 to 100",
    "ref_in_two_returns": "an indicator in two returns",
    "reported_quartile_mismatch": "a printed quartile that differs from the figures",
    "reported_trend_mismatch": "a printed trend that differs from the figures",
    "reported_variance_mismatch": "a printed variance that differs from the figures",
    "target_changed_in_year": "a target changed during the year",
    "target_missing": "an indicator with no target",
    "value_outlier": "a value far from its own history",
    "unreadable_reported_trend": "a printed trend that could not be read",
    "unreadable_reported_variance": "a printed variance that could not be read",
    "unreadable_reported_quartile": "a printed quartile that could not be read",
}

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a;
       max-width: 80rem; line-height: 1.4; overflow-wrap: break-word; }
table { border-collapse: collapse; margin: 0 0 1.5rem; width: 100%; }
/* A table wider than the screen scrolls inside its own box, never the page. */
.table-scroll { overflow-x: auto; max-width: 100%; }
th, td { border: 1px solid #888; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #e8e8e8; }
caption { text-align: left; font-weight: bold; padding: .2rem 0; }
.ERROR { color: #8b0000; font-weight: bold; } .WARN { color: #7a4a00; } .INFO { color: #1f4e79; }
.failed { color: #8b0000; font-weight: bold; } .passed { color: #1b5e20; }
.meta { color: #444; font-size: .9em; }
@media (max-width: 600px) { body { margin: .75rem auto; padding: 0 .5rem; }
  h1 { font-size: 1.4rem; } th, td { padding: .25rem .35rem; } }
"""


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    classes: Sequence[str] = (),
    label: str = "",
) -> str:
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in headers)
    body = "".join(
        f'<tr class="{classes[i] if i < len(classes) else ""}">'
        + "".join(f"<td>{html.escape('' if cell is None else str(cell))}</td>" for cell in row)
        + "</tr>"
        for i, row in enumerate(rows)
    )
    caption = f"<caption>{html.escape(label)}</caption>" if label else ""
    region = f' role="region" aria-label="{html.escape(label)}" tabindex="0"' if label else ""
    return (
        f'<div class="table-scroll"{region}><table>{caption}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _existing(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(
        connection.sql(
            "select 1 from duckdb_tables() where schema_name = ? and table_name = ?",
            params=[schema, name],
        ).fetchall()
    )


def flag_counts(connection: duckdb.DuckDBPyConnection, periods: list[str]) -> dict[str, int]:
    """Findings of the given reporting periods by severity, every severity present."""
    counts = dict.fromkeys(SEVERITY_ORDER, 0)
    if _existing(connection, "quality.dq_flags"):
        counts |= dict(
            connection.sql(
                "select severity, count(*) from quality.dq_flags "
                "where list_contains(?::varchar[], reporting_period) group by 1",
                params=[periods],
            ).fetchall()
        )
    return counts


def _periods_in_words(periods: list[str]) -> str:
    ordered = sorted(periods, key=Quarter.parse)
    if not ordered:
        return "no quarter"
    return ordered[0] if len(ordered) == 1 else f"{ordered[0]} to {ordered[-1]}"


def write_quality_report(
    build_warehouse: Path, reports_dir: Path, run_id: str, published: bool, periods: list[str]
) -> Path:
    """The page for a run: the findings of the reporting periods it built."""
    with duckdb.connect(str(build_warehouse), read_only=True) as connection:
        counts = flag_counts(connection, periods)
        sections = [
            _by_return_section(connection, periods),
            _findings_section(connection, periods),
            _not_judged_section(connection),
            _expectations_section(connection),
        ]
    # The run builds beside the warehouse (`warehouse.build.duckdb`) and publishes it
    # under the warehouse's own name, the name a reader knows.
    warehouse = build_warehouse.with_name(
        build_warehouse.name.replace(f".build{build_warehouse.suffix}", build_warehouse.suffix)
    )
    title = f"Data quality of the returns for {_periods_in_words(periods)}"
    status = (
        f"The warehouse {warehouse.name} was published with these figures."
        if published
        else f"The warehouse {warehouse.name} was NOT published: its last published "
        "figures are unchanged."
    )
    total = sum(counts.values())
    headline = (
        "The checks found nothing to fix or explain."
        if not total
        else "The checks found "
        + ", ".join(f"{counts[s]} {SEVERITY_MARK[s]}" for s in SEVERITY_ORDER[:-1])
        + f" and {counts['INFO']} {SEVERITY_MARK['INFO']} findings."
    )
    page = (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}, {html.escape(warehouse.name)}</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(status)} {html.escape(headline)}</p>"
        f'<p class="meta">Warehouse: {html.escape(str(warehouse))}. Checked '
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, run {html.escape(run_id)}.</p>"
        + "".join(sections)
        + "</body></html>"
    )
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / f"run-{run_id}.html"
    path.write_text(page, encoding="utf-8")
    shutil.copyfile(path, reports_dir / "latest.html")
    return path


def _check_words(check_name: str) -> str:
    if check_name.startswith("inconsistent_"):
        what = check_name.removeprefix("inconsistent_").replace("_", " ")
        return f"an indicator whose {what} differs from an earlier return"
    return CHECK_WORDS.get(check_name, check_name.replace("_", " "))


def _by_return_section(connection: duckdb.DuckDBPyConnection, periods: list[str]) -> str:
    """Each return's findings by severity, in a sentence a service lead can act on."""
    if not _existing(connection, "quality.dq_flags"):
        return "<h2>Findings by return</h2><p>The checks did not run.</p>"
    rows = connection.sql(
        f"""
        select authority, reporting_period, severity, check_name, count(*) as findings
        from quality.dq_flags where list_contains($periods::varchar[], reporting_period)
        group by authority, reporting_period, severity, check_name
        order by authority, reporting_period, {_SEVERITY_RANK}, findings desc, check_name
        """,
        params={"periods": periods},
    ).fetchall()
    if not rows:
        return "<h2>Findings by return</h2><p>No findings in any return.</p>"
    returns: dict[tuple[str, str], dict[str, list[tuple[str, int]]]] = {}
    for authority, period, severity, check_name, findings in rows:
        returns.setdefault((authority, period), {}).setdefault(severity, []).append(
            (check_name, findings)
        )
    items = []
    for (authority, period), by_severity in returns.items():
        sentences = "".join(
            f'<li class="{severity}">{html.escape(SEVERITY_MARK[severity])}, '
            f"{html.escape(SEVERITY_MEANING[severity])}: "
            + html.escape(
                "; ".join(f"{n} \u00d7 {_check_words(check)}" for check, n in by_severity[severity])
            )
            + ".</li>"
            for severity in SEVERITY_ORDER
            if severity in by_severity
        )
        items.append(
            f"<h3>{html.escape(authority or 'Authority not known')}, "
            f"{html.escape(period or 'period not known')}</h3><ul>{sentences}</ul>"
        )
    return (
        "<h2>Findings by return</h2>"
        "<p>Each return's findings, the most severe first: \u25a0 ERROR means "
        f"{SEVERITY_MEANING['ERROR']}; \u25b2 WARN, {SEVERITY_MEANING['WARN']}; "
        f"\u25cf INFO, {SEVERITY_MEANING['INFO']}. Every finding, with the file and row to "
        "open, is listed below.</p>" + "".join(items)
    )


def _expectations_section(connection: duckdb.DuckDBPyConnection) -> str:
    heading = "<h2>Expectations on the tables (Great Expectations)</h2>"
    if not _existing(connection, "quality.expectation_results"):
        return heading + "<p>No suite ran.</p>"
    rows = connection.sql(
        "select suite, expectation, arguments, severity, "
        "case when success then 'passed' else 'FAILED' end, unexpected_count, unexpected_examples "
        "from quality.expectation_results order by success, suite, severity, expectation"
    ).fetchall()
    failed = sum(row[4] == "FAILED" for row in rows)
    return (
        heading
        + f"<p>For the data team: {len(rows)} expectations on the tables, {len(rows) - failed} "
        f"passed and {failed} failed (failed first).</p>"
        + _table(
            ["Table", "Expectation", "Arguments", "Severity", "Result", "Unexpected", "Examples"],
            rows,
            ["passed" if row[4] == "passed" else "failed" for row in rows],
        )
    )


def _findings_section(connection: duckdb.DuckDBPyConnection, periods: list[str]) -> str:
    if not _existing(connection, "quality.dq_flags"):
        return "<h2>Findings</h2><p>The checks did not run.</p>"
    in_periods = "where list_contains($periods::varchar[], reporting_period)"
    by_check = connection.sql(
        f"""
        select severity, check_name, count(*) as findings, count(distinct authority)
        from quality.dq_flags {in_periods}
        group by severity, check_name order by {_SEVERITY_RANK}, findings desc, check_name
        """,
        params={"periods": periods},
    ).fetchall()
    if not by_check:
        return "<h2>Findings</h2><p>No findings.</p>"
    rows = connection.sql(
        f"""
        select severity, authority, reporting_period, ref, check_name, message, observed,
               expected, source_file_path || coalesce(' row ' || source_row_number, '')
        from quality.dq_flags {in_periods}
        order by {_SEVERITY_RANK}, authority, reporting_period, check_name, ref
        limit $shown
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
            [
                (SEVERITY_MARK[severity], f"{_check_words(check)} ({check})", *rest)
                for severity, check, *rest in by_check
            ],
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
        "select count(*) from quality.value_history where not judged"
    ).fetchall()[0]
    return (
        "<h2>Not judged</h2>"
        f"<p>{not_judged} values were not judged for outliers: their indicator's history is "
        "too short (fewer earlier values than the check needs) or never varied.</p>"
    )
