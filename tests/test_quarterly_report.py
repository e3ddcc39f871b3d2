"""The quarterly report, read as a person reads it: rendered by headless Chromium.

The sample run writes St Helens' 2024-25 Q2 report; Chromium (Debian's, driven
by Playwright) opens it with the network cut off, a screenshot is kept, and
the tests check what a reader sees against the marts: the three tables, every
indicator of the scorecards, the charts and their text alternatives.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import openpyxl
import pytest
import sqlglot
from dagster import AssetKey
from sqlglot import expressions as exp

from assets.quarterly_reports import quarterly_reports
from pipelines.report import files as report_files_module
from pipelines.report.data import TABLES_READ, load, load_quarter, read_quarter
from pipelines.report.files import write_reports
from pipelines.report.workbook import write_workbook

CHROMIUM = Path("/usr/bin/chromium")
PERIOD = "2024-25 Q2"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


@pytest.fixture(scope="module")
def report_files(sample_run) -> tuple[Path, Path]:
    folder = sample_run.warehouse.parent / "reports" / "quarterly"
    return folder / "st-helens-2024-25-Q2.html", folder / "st-helens-2024-25-Q2.xlsx"


def test_a_run_over_several_quarters_writes_the_latest_quarters_reports(sample_run) -> None:
    assert sample_run.quarters == ["2021-22-Q2", "2021-22-Q4", "2024-25-Q2"]
    folder = sample_run.warehouse.parent / "reports" / "quarterly"
    assert sorted(path.name for path in folder.iterdir()) == [
        "halton-2024-25-Q2.html", "halton-2024-25-Q2.xlsx",
        "st-helens-2024-25-Q2.html", "st-helens-2024-25-Q2.xlsx",
    ]  # fmt: skip


def test_milestones_have_their_section_where_they_exist_and_only_there(sample_run) -> None:
    folder = sample_run.warehouse.parent / "reports" / "quarterly"
    halton = (folder / "halton-2024-25-Q2.html").read_text(encoding="utf-8")
    st_helens = (folder / "st-helens-2024-25-Q2.html").read_text(encoding="utf-8")
    assert 'id="milestones"' in halton and 'id="milestones"' not in st_helens
    # Halton's return has milestones and no indicators: no empty indicator tables.
    assert 'id="part-1"' not in halton and 'id="part-1"' in st_helens
    assert "<strong>P1.1</strong> Increase in the number of families accessing support" in halton
    assert "Attendances in the hub overall in the last 6 months" in halton


@pytest.fixture(scope="module")
def page(report_files, tmp_path_factory) -> Iterator:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: make test installs it")
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 1400})
        page.route("**/*", lambda route: (requests.append(route.request.url),
                                          route.continue_() if route.request.url.startswith("file:")
                                          else route.abort()))  # fmt: skip
        page.goto(report_files[0].as_uri())
        screenshot = tmp_path_factory.mktemp("screenshot") / "report-2024-25-Q2.png"
        page.screenshot(path=str(screenshot), full_page=True)
        page.requests = requests
        page.screenshot_path = screenshot
        yield page
        browser.close()


def test_the_report_needs_nothing_from_the_network(page) -> None:
    assert [url for url in page.requests if not url.startswith("file:")] == []
    assert page.screenshot_path.stat().st_size > 50_000


def summary_rows(page, index: int) -> list[list[str]]:
    table = page.locator("section.summary table").nth(index)
    return [
        [cell.strip() for cell in row.locator("th, td").all_inner_texts()]
        for row in table.locator("tbody tr").all()
    ]


@pytest.mark.parametrize(
    ("index", "mart", "categories"),
    [
        (0, "mart_priority_performance", ("met", "within", "not_met")),
        (1, "mart_priority_trend", ("improved", "worse", "same")),
        (2, "mart_quartile_distribution", ("q1", "q2", "q3", "q4")),
    ],
)
def test_a_reader_sees_the_marts_numbers_in_each_table(
    page, sample_warehouse, index, mart, categories
) -> None:
    columns = ", ".join(f"pct_{c}, n_{c}" for c in categories)
    marts_rows = sample_warehouse.sql(
        f"select n_with_data, {columns} from marts.{mart} "
        "where reporting_period = ? order by priority nulls last",
        params=[PERIOD],
    ).fetchall()
    seen = summary_rows(page, index)
    assert len(seen) == len(marts_rows) and seen[-1][0] == "Total"
    for shown, (n_with_data, *values) in zip(seen, marts_rows, strict=True):
        assert shown[1] == str(n_with_data)
        cells = [re.fullmatch(r"(\d+|\u2013)%? \((\d+)\)", cell).groups() for cell in shown[2:]]
        assert [int(n) for _, n in cells] == values[1::2]
        if not n_with_data:
            assert all(share == "\u2013" for share, _ in cells)
            continue
        # Whole per cents within a point of the mart's, adding to 100 (largest remainder).
        shares = [int(share) for share, _ in cells]
        assert sum(shares) == 100
        assert all(abs(share - pct) < 1 for share, pct in zip(shares, values[::2], strict=True))


def test_the_published_headline_numbers_are_on_the_page(page) -> None:
    text = page.inner_text("body")
    # Priority 2, as the report printed it (table 4.1): 61% (14), 17% (4), 22% (5).
    assert "61% (14)" in text and "17% (4)" in text and "22% (5)" in text
    # Table 4.3's total, which the sample reproduces exactly: 16% (7), 16% (7), 33% (14), 35% (15).
    assert "16% (7)" in text and "33% (14)" in text and "35% (15)" in text
    assert "the warehouse holds no figures for 2023-24 Q2" in text


def test_every_indicator_of_the_quarter_has_its_scorecard_row(page, sample_warehouse) -> None:
    refs = {
        ref
        for (ref,) in sample_warehouse.sql(
            "select ref from marts.fct_indicator_observations "
            "where period_key = ? and in_return_for_period",
            params=[PERIOD],
        ).fetchall()
    }
    shown = page.locator("table.scorecard tbody th[scope=row]").all_inner_texts()
    assert len(shown) == len(refs) == 94
    assert set(shown) == refs


def test_status_is_told_by_word_and_shape_not_colour_alone(page) -> None:
    row = page.locator("table.scorecard tr", has_text="CYP-012")
    status = row.locator(".status")
    assert status.inner_text() == "Target not met"
    shape = status.evaluate("node => getComputedStyle(node, '::before').content")
    assert "\u25a0" in shape


def test_each_chart_has_a_text_alternative(page) -> None:
    charts = page.locator("svg[role=img]")
    assert charts.count() == 3
    for index in range(3):
        labelled_by = charts.nth(index).get_attribute("aria-labelledby").split()
        words = [page.locator(f"[id='{part}']").text_content().strip() for part in labelled_by]
        assert words[0].endswith("by priority") and "Total:" in words[1]
    captions = page.locator("figure figcaption").all_inner_texts()
    assert len(captions) == 3 and all("In words:" in caption for caption in captions)


def test_the_report_prints_on_a4(page) -> None:
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 3


def test_the_workbook_holds_the_marts_numbers_with_frozen_headers(report_files, sample_warehouse):
    workbook = openpyxl.load_workbook(report_files[1])
    assert workbook.sheetnames == [
        "Performance against target", "Trend", "Inter-authority comparison", "Scorecard",
        "Data quality",
    ]  # fmt: skip
    sheet = workbook["Performance against target"]
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    expected = sample_warehouse.sql(
        "select priority, n_with_data, n_met, pct_met "
        "from marts.mart_priority_performance where reporting_period = ? "
        "order by priority nulls last",
        params=[PERIOD],
    ).fetchall()
    assert [(r[2], r[4], r[5], r[6]) for r in rows] == [
        (p, n, met, pytest.approx(pct)) for p, n, met, pct in expected
    ]
    assert sheet.cell(row=2, column=7).number_format == "0.0"
    assert workbook["Scorecard"].max_row == 95


def test_commentary_that_looks_like_a_formula_stays_text(sample_warehouse, tmp_path) -> None:
    data = load(sample_warehouse, "St Helens", PERIOD)
    risky = ["=HYPERLINK(\"http://example.invalid\",\"click\")", "+44 1744 676789",
             "-5% on last year", "@SUM(A1:A9)"]  # fmt: skip
    for row, text in zip(data.scorecard, risky, strict=False):
        row["commentary"] = text
    path = tmp_path / "report.xlsx"
    write_workbook(data, path)
    sheet = openpyxl.load_workbook(path)["Scorecard"]
    column = [c.value for c in sheet[1]].index("Commentary") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, 6)]
    assert [cell.value for cell in cells] == risky
    assert all(cell.data_type == "s" for cell in cells)


def test_reports_written_by_parallel_writers_are_those_written_one_by_one(
    sample_warehouse, tmp_path, monkeypatch
) -> None:
    one_by_one = write_reports(sample_warehouse, PERIOD, tmp_path / "one-by-one")
    monkeypatch.setattr(report_files_module, "PARALLEL_FROM", 1)
    parallel = write_reports(sample_warehouse, PERIOD, tmp_path / "parallel")
    assert [path.name for path in parallel] == [path.name for path in one_by_one]
    assert len(parallel) == 4
    for ours, theirs in zip(parallel, one_by_one, strict=True):
        if ours.suffix == ".html":
            assert ours.read_text() == theirs.read_text()
        else:
            ours_book, theirs_book = (openpyxl.load_workbook(path) for path in (ours, theirs))
            assert [list(sheet.values) for sheet in ours_book] == [
                list(sheet.values) for sheet in theirs_book
            ]


def test_a_quarters_figures_split_into_shares_give_every_authority_its_whole_report(
    sample_warehouse,
) -> None:
    tables = read_quarter(sample_warehouse, PERIOD)
    whole = tables.reports()
    assert [data.authority for data in whole] == ["Halton", "St Helens"]
    for count in (1, 2, 3):
        shares = tables.shares(count)
        assert 1 <= len(shares) <= count
        assert [data for share in shares for data in share.reports()] == whole


class _RecordingConnection:
    """A connection that keeps the text of every query it is asked."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._connection = connection
        self.queries: list[str] = []

    def sql(self, query: str, **arguments: object) -> duckdb.DuckDBPyRelation:
        self.queries.append(query)
        return self._connection.sql(query, **arguments)


def test_the_report_asset_depends_on_every_table_the_reports_queries_read(
    sample_warehouse,
) -> None:
    recording = _RecordingConnection(sample_warehouse)
    load_quarter(recording, PERIOD)  # type: ignore[arg-type]
    read = {
        (table.db, table.name)
        for query in recording.queries
        for table in sqlglot.parse_one(query, read="duckdb").find_all(exp.Table)
        if table.db
    }
    assert read == set(TABLES_READ)
    assert {dep.asset_key for spec in quarterly_reports.specs for dep in spec.deps} == {
        AssetKey(list(table)) for table in read
    }
