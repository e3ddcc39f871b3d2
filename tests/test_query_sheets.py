"""Query sheets: after a run, each return with something to fix or explain has its sheet,
in the run's own words; a return put right gets a clean sheet at the next run."""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
import urllib.parse
from pathlib import Path

import duckdb
import pytest

from pipelines.paths import DEFAULT_RETURNS_DIR
from pipelines.query_sheets import QUERY_SHEETS_FOLDER, sheet_paths
from pipelines.run import RunOutcome
from schemas.return_contract import header_key
from tests.conftest import build, indicator_row, return_csv

CHROMIUM = Path("/usr/bin/chromium")
FIXED_RETURN = "st-helens/2024-25/Q2/priority-3.csv"
HOSTILE_RETURN = "testshire/<i>hostile & co.csv"


def sheets_folder(outcome: RunOutcome) -> Path:
    # tests.conftest.build writes a run's reports beside its warehouse.
    return outcome.warehouse.parent / "reports" / QUERY_SHEETS_FOLDER


def read_sheet(outcome: RunOutcome, file_path: str) -> tuple[str, list[dict[str, str]]]:
    html_path, csv_path = sheet_paths(sheets_folder(outcome), file_path)
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    return html_path.read_text(encoding="utf-8"), rows


def findings(outcome: RunOutcome, file_path: str) -> list[tuple]:
    with duckdb.connect(str(outcome.warehouse), read_only=True) as connection:
        return connection.sql(
            "select source_row_number::varchar, observed, expected, message from quality.dq_flags "
            "where source_file_path = ? order by all",
            params=[file_path],
        ).fetchall()


@pytest.fixture(scope="module")
def next_run(sample_run: RunOutcome, tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    """The sample's next run, on its warehouse and reports: priority 3 sent again with each
    printed variance the run queried put right, and a new return with two bad targets and
    a name and cells a browser or a spreadsheet would run as code."""
    run_folder = tmp_path_factory.mktemp("next-run")
    warehouse = run_folder / "warehouse.duckdb"
    shutil.copyfile(sample_run.warehouse, warehouse)
    shutil.copytree(sample_run.warehouse.parent / "reports", run_folder / "reports")
    returns = shutil.copytree(DEFAULT_RETURNS_DIR, run_folder / "returns")
    # The sample's priority 3 is Windows-1252 on purpose: it is sent back the same way.
    fixed = returns / FIXED_RETURN
    grid = list(csv.reader(io.StringIO(fixed.read_bytes().decode("cp1252"), newline="")))
    variance = [header_key(name) for name in grid[0]].index(header_key("reported_variance"))
    for row_number, _, expected, _ in findings(sample_run, FIXED_RETURN):
        grid[int(row_number) - 1][variance] = expected
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(grid)
    fixed.write_bytes(text.getvalue().encode("cp1252"))
    (returns / HOSTILE_RETURN).parent.mkdir()
    (returns / HOSTILE_RETURN).write_text(
        return_csv(
            [
                indicator_row(ref="CYP-001", target="<script>alert(1)</script>"),
                indicator_row(ref="CYP-002", target='=HYPERLINK("http://x")'),
            ]
        )
    )
    outcome = build(returns, warehouse)
    assert outcome.succeeded, outcome.summary()
    return outcome


def test_a_runs_sheet_lists_each_finding_of_its_return_in_the_runs_words(
    sample_run: RunOutcome,
) -> None:
    with duckdb.connect(str(sample_run.warehouse), read_only=True) as connection:
        returns_with_findings = [
            path
            for (path,) in connection.sql(
                "select distinct source_file_path from quality.dq_flags "
                "where source_file_path is not null order by 1"
            ).fetchall()
        ]
    assert FIXED_RETURN in returns_with_findings
    for file_path in returns_with_findings:
        page, rows = read_sheet(sample_run, file_path)
        listed = sorted(
            (r["Row"], r["Value"], r["Expected"], r["What is wrong or queried"]) for r in rows
        )
        assert listed == findings(sample_run, file_path), file_path
        assert {r["Must be"] for r in rows} == {"explained"}
        assert all(r["What would settle it"] for r in rows)
        assert f"Queries on your return <code>{file_path}</code>" in page


def test_a_return_with_nothing_to_fix_or_explain_gets_no_sheet(sample_run: RunOutcome) -> None:
    html_path, csv_path = sheet_paths(
        sheets_folder(sample_run), "st-helens/2024-25/Q2/priority-4.csv"
    )
    assert html_path.parent.is_dir()
    assert not html_path.exists() and not csv_path.exists()


def test_a_return_put_right_gets_a_clean_sheet_at_the_next_run(
    sample_run: RunOutcome, next_run: RunOutcome
) -> None:
    _, before = read_sheet(sample_run, FIXED_RETURN)
    page, after = read_sheet(next_run, FIXED_RETURN)
    assert len(before) == 6
    assert after == []
    assert "Nothing is outstanding" in page
    # The returns not sent again keep their queries.
    _, unchanged = read_sheet(next_run, "st-helens/2024-25/Q2/priority-1.csv")
    assert len(unchanged) == len(findings(next_run, "st-helens/2024-25/Q2/priority-1.csv")) > 0


def test_a_sheet_with_nothing_new_to_say_is_left_as_it_was_written(
    sample_run: RunOutcome, next_run: RunOutcome
) -> None:
    # The next run's reports folder is a copy of the sample run's, file times kept.
    for file_path, rewritten in [("st-helens/2024-25/Q2/priority-1.csv", False),
                                 (FIXED_RETURN, True)]:  # fmt: skip
        before = sheet_paths(sheets_folder(sample_run), file_path)
        after = sheet_paths(sheets_folder(next_run), file_path)
        for old, new in zip(before, after, strict=True):
            assert (old.stat().st_mtime_ns != new.stat().st_mtime_ns) == rewritten, new


def test_a_refused_row_is_on_its_returns_sheet_with_what_to_write_instead(
    next_run: RunOutcome,
) -> None:
    _, rows = read_sheet(next_run, HOSTILE_RETURN)
    assert [(r["Must be"], r["Row"], r["Ref"], r["Column or check"]) for r in rows] == [
        ("fixed", "2", "CYP-001", "target"),
        ("fixed", "3", "CYP-002", "target"),
    ]
    assert rows[0]["What is wrong or queried"].startswith("target is not a number: write")
    assert rows[0]["What would settle it"].startswith("Correct the cell")


def test_a_sheet_escapes_what_a_service_typed_and_reads_on_a_phone(next_run: RunOutcome) -> None:
    page, rows = read_sheet(next_run, HOSTILE_RETURN)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "&lt;i&gt;hostile &amp; co.csv" in page and "<i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    # A spreadsheet opening the CSV shows the cell as typed rather than running it.
    assert rows[1]["Value"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["Value"] == "<script>alert(1)</script>"


def test_a_sheet_fits_a_phone_screen_without_sideways_scrolling(next_run: RunOutcome) -> None:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: make test installs it")
    from playwright.sync_api import sync_playwright

    sheets = ["st-helens/2021-22/Q2/priority-1.csv", HOSTILE_RETURN, FIXED_RETURN]
    pages = [sheet_paths(sheets_folder(next_run), file_path)[0] for file_path in sheets]
    index = sheets_folder(next_run) / "index.html"
    widths: dict[str, int] = {}
    headers_shown: dict[str, list[bool]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        # A phone lays out a page with no viewport meta 980 px wide, then shrinks it.
        page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        for name, path in [*zip(sheets, pages, strict=True), ("index", index)]:
            page.goto(path.as_uri())
            widths[name] = page.evaluate("document.documentElement.scrollWidth")
            # Each query is a card of labelled lines, not a row of a table too wide to read.
            headers_shown[name] = [h.is_visible() for h in page.locator("thead").all()]
        browser.close()
    assert widths == dict.fromkeys([*sheets, "index"], 390)
    assert headers_shown == {sheets[0]: [False], sheets[1]: [False], sheets[2]: [],
                             "index": [False]}  # fmt: skip


def test_the_index_links_every_sheet_of_the_run_with_its_counts(next_run: RunOutcome) -> None:
    folder = sheets_folder(next_run)
    page = (folder / "index.html").read_text(encoding="utf-8")
    links = re.findall(
        r'<a href="([^"]+)">([^<]+)</a></td><td[^>]*>(\d+)</td><td[^>]*>(\d+)</td>', page
    )
    listed = [(html.unescape(name), int(fix), int(explain)) for _, name, fix, explain in links]
    # The refused return first; the return put right is there, with nothing outstanding.
    assert listed[0] == (HOSTILE_RETURN, 2, 0)
    assert (FIXED_RETURN, 0, 0) in listed
    for href, name, *_ in links:
        target = folder / urllib.parse.unquote(html.unescape(href))
        assert target == sheet_paths(folder, html.unescape(name))[0] and target.is_file()


def test_a_sheet_never_lands_outside_its_folder(tmp_path: Path) -> None:
    html_path, csv_path = sheet_paths(tmp_path, "../../outside/../x.csv")
    assert html_path == tmp_path / "outside" / "x.csv.html"
    assert csv_path.parent == tmp_path / "outside"
