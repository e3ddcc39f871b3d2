"""The quarterly report and the data-quality page, read by the people they are for.

A committee member reads the target each status was judged against, one
wording for the 5% band, per cents that add up, and explanations of what the
marks mean; an analyst pastes the workbook; a service lead reads the
data-quality page. All of it from the sample run's own files, and the report
data read with one query per table whatever the number of authorities.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipelines.report.data import load, load_quarter
from pipelines.report.html import commentary_lines, whole_percents

PERIOD = "2024-25 Q2"


@pytest.fixture(scope="module")
def report_folder(sample_run) -> Path:
    return sample_run.warehouse.parent / "reports" / "quarterly"


@pytest.fixture(scope="module")
def st_helens_page(report_folder) -> str:
    return (report_folder / "st-helens-2024-25-Q2.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def halton_page(report_folder) -> str:
    return (report_folder / "halton-2024-25-Q2.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def quality_page(sample_run) -> str:
    return sample_run.quality_report.read_text(encoding="utf-8")


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


# --- The target each status was judged against ---------------------------------------


def test_the_rule_names_the_kind_of_target_it_chose(rules) -> None:
    kinds = rules.sql(
        "select rules.period_target_basis([null, 40, null, null]::double[], 'snapshot', 6), "
        "rules.period_target_basis([null, null, null, null]::double[], 'cumulative', 6), "
        "rules.period_target_basis([null, null, null, null]::double[], 'snapshot', 6), "
        "rules.period_target(170, [null, null, null, null]::double[], 'cumulative', 6)"
    ).fetchall()[0]
    assert kinds == ("profiled", "pro rata", "annual", 85)


def test_each_scorecard_row_shows_the_target_its_status_was_judged_against(
    st_helens_page, sample_warehouse
) -> None:
    shown = dict(
        re.findall(
            r'<th scope="row">([^<]+)</th>.*?<td class="number target-judged">(.*?)</td>',
            st_helens_page.split('id="part-2"')[1],
            flags=re.S,
        )
    )
    judged = sample_warehouse.sql(
        "select ref, period_target, period_target_basis, value_as_at_period_key "
        "from marts.fct_indicator_observations "
        "where authority = 'St Helens' and period_key = ? and in_return_for_period",
        params=[PERIOD],
    ).fetchall()
    assert len(shown) == len(judged) == 94
    kinds = {"annual": "(annual)", "pro rata": "(annual, pro rata to date)"}
    for ref, target, basis, as_at in judged:
        cell = text_of(shown[html.escape(ref)]).strip()
        if target is None:
            assert cell == ""
            continue
        kind = f"(profiled for {as_at[-2:]})" if basis == "profiled" else kinds[basis]
        assert cell.endswith(kind), (ref, cell)
        assert float(cell.split(" ")[0].replace(",", "")) == pytest.approx(target, abs=0.0051)
    # The example: judged against a pro-rata or quarterly target, not the annual one.
    not_annual = [row for row in judged if row[2] in ("pro rata", "profiled")]
    assert len(not_annual) >= 29


def test_a_bullet_quotes_the_target_judged_against_and_no_stray_full_stop(
    st_helens_page,
) -> None:
    text = text_of(st_helens_page)
    assert ".:" not in text
    bullets = re.findall(r"against a target of ([^.]+?\))\.", text)
    assert bullets and all(re.search(r"\((annual|profiled for Q[1-4])", b) for b in bullets)


# --- One wording, per cents that add up, marks explained -----------------------------


def test_the_five_per_cent_band_has_one_wording(st_helens_page) -> None:
    text = text_of(st_helens_page)
    assert "ithin 95%" not in text
    # The legend, the table header, the chart and every status of the band say it one way.
    assert re.findall(r"Within 5%(?! of target)", text) == []
    assert text.count("Within 5% of target") > 5


def test_whole_per_cents_add_to_100_by_the_largest_remainder() -> None:
    assert whole_percents([5, 4, 2]) == [46, 36, 18]  # 45.45, 36.36, 18.18
    assert whole_percents([55, 11, 28]) == [58, 12, 30]  # 58.51, 11.70, 29.79
    assert whole_percents([1, 1, 1]) == [34, 33, 33]
    assert whole_percents([0, 0, 0]) == [None, None, None]


def test_the_headline_agrees_with_the_total_row_and_says_how_it_rounds(st_helens_page) -> None:
    text = text_of(st_helens_page)
    headline = int(re.search(r"(\d+)% of indicators met their target or came within", text)[1])
    total = re.search(r"Total 94 (\d+)% \(55\) (\d+)% \(11\) (\d+)% \(28\)", text)
    met, within, not_met = (int(share) for share in total.groups())
    assert met + within + not_met == 100
    assert headline == met + within == 70
    assert "largest remainder" in text


def test_reported_trends_and_quartiles_are_explained(st_helens_page) -> None:
    text = text_of(st_helens_page)
    assert "(reported)" in text
    assert '"(reported)" marks a trend the service reported itself' in text
    assert "1 of 4 is the best" in text and "1st quartile (best)" in text


def test_a_priority_without_a_name_is_called_priority_and_its_number(
    st_helens_page, report_folder
) -> None:
    assert "Priority 4" in text_of(st_helens_page)
    sheet = openpyxl.load_workbook(report_folder / "st-helens-2024-25-Q2.xlsx")["Scorecard"]
    header = [cell.value for cell in sheet[1]]
    number, name = header.index("Priority"), header.index("Priority name")
    names = {row[number]: row[name] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert names[4] == "Priority 4" and names[6] == "Priority 6"
    assert names[1] == "Ensure children and young people have a positive start in life"


def test_objectives_and_milestones_are_in_counting_order(halton_page) -> None:
    summary = halton_page.split('id="heading-milestones"')[1].split("</table>")[0]
    rows = re.findall(r"<th scope=\"row\">([^<]+)</th>\s*<td>([^<]*)</td>", summary)
    by_department: dict[str, list[int]] = {}
    for department, objective in rows:
        if re.fullmatch(r"CYP P\d+", objective):
            by_department.setdefault(department, []).append(int(objective[5:]))
    assert by_department["Children Social Care and Early Help"] == [1, 2, 7, 9, 10, 11, 12]
    assert all(numbers == sorted(numbers) for numbers in by_department.values())
    milestones = re.findall(r"<strong>(P\d+)\.(\d+)</strong>", halton_page)
    firsts = [int(objective[1:]) for objective, _ in milestones]
    assert firsts.index(10) > firsts.index(2)


def test_the_milestone_caption_promises_what_its_cells_hold(halton_page) -> None:
    caption = re.search(r'<caption id="heading-milestones">([^<]+)</caption>', halton_page)[1]
    assert "the number of milestones" in caption


def test_commentary_typed_as_lines_or_bullets_reads_as_lines(halton_page) -> None:
    assert commentary_lines("July 2024 \u2022 100% good \u2022 20% good\nAugust") == [
        "July 2024", "100% good", "20% good", "August",
    ]  # fmt: skip
    assert (
        '<span class="line">July 2024</span>'
        '<span class="line">-67% in Early Help were graded &#39;good&#39;</span>' in halton_page
    )
    assert "\u2022" not in text_of(halton_page.split('id="milestones"')[1])


# --- The workbook ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def workbook(report_folder) -> openpyxl.Workbook:
    return openpyxl.load_workbook(report_folder / "st-helens-2024-25-Q2.xlsx")


def test_workbook_headers_are_words_a_person_reads(workbook) -> None:
    for sheet in workbook:
        headers = [cell.value for cell in sheet[1]]
        assert all(header and "_" not in header for header in headers), sheet.title
    assert "Indicators with data" in [c.value for c in workbook["Performance against target"][1]]


def test_workbook_scorecard_has_filters_wrapped_text_and_an_a4_landscape_print(workbook):
    scorecard = workbook["Scorecard"]
    assert (
        scorecard.auto_filter.ref
        == f"A1:{scorecard.cell(1, scorecard.max_column).column_letter}{scorecard.max_row}"
    )
    header = [cell.value for cell in scorecard[1]]
    commentary = scorecard.cell(2, header.index("Commentary") + 1)
    assert commentary.alignment.wrap_text
    for sheet in workbook:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.page_setup.paperSize == 9, sheet.title  # A4
        assert sheet.print_title_rows == "$1:$1", sheet.title


def test_workbook_numeric_columns_hold_only_numbers(workbook, sample_warehouse) -> None:
    scorecard = workbook["Scorecard"]
    header = [cell.value for cell in scorecard[1]]
    rows = list(scorecard.iter_rows(min_row=2, values_only=True))
    numeric = ("Priority", "Tier", "Q1", "Q2", "Value judged", "Target judged against",
               "Variance from target (%)", "Comparator quartile (1 best, 4 worst)")  # fmt: skip
    for column in numeric:
        values = [row[header.index(column)] for row in rows]
        assert all(value is None or isinstance(value, int | float) for value in values), column
    # A note typed where a figure should be is kept, in its own column.
    notes = {row[header.index("Ref")]: row[header.index("Notes in place of a quarter's figure")]
             for row in rows}  # fmt: skip
    noted = sample_warehouse.sql(
        "select ref, period_key, value_note from marts.fct_indicator_observations "
        "where authority = 'St Helens' and period_key in ('2024-25 Q1', '2024-25 Q2') "
        "and value_note is not null and ref in (select in_return.ref "
        "from marts.fct_indicator_observations as in_return "
        "where in_return.authority = 'St Helens' and in_return.period_key = ? "
        "and in_return.in_return_for_period)",
        params=[PERIOD],
    ).fetchall()
    assert noted
    for ref, period, note in noted:
        assert f"{period[-2:]}: {note}" in notes[ref]
    totals = workbook["Performance against target"]
    assert [row[2] for row in totals.iter_rows(min_row=2, values_only=True)][-1] is None
    assert [row[3] for row in totals.iter_rows(min_row=2, values_only=True)][-1] == "Total"


# --- The data-quality page ---------------------------------------------------------------


def test_the_data_quality_page_is_titled_by_its_returns_not_its_run(sample_run, quality_page):
    title = re.search(r"<title>([^<]+)</title>", quality_page)[1]
    h1 = re.search(r"<h1>([^<]+)</h1>", quality_page)[1]
    assert sample_run.run_id not in title and sample_run.run_id not in h1
    assert h1 == "Data quality of the returns for 2021-22 Q2 to 2024-25 Q2"
    assert "warehouse.duckdb" in title


def test_the_data_quality_page_leads_with_findings_by_return_in_plain_words(quality_page):
    headings = re.findall(r"<h2>([^<]+)</h2>", quality_page)
    assert headings[0] == "Findings by return"
    assert headings.index("Findings") < headings.index(
        "Expectations on the tables (Great Expectations)"
    )
    by_return = text_of(quality_page.split("<h2>Findings by return</h2>")[1].split("<h2>")[0])
    assert "St Helens, 2024-25 Q2" in by_return
    assert "13 \u00d7 a printed variance that differs from the figures" in by_return
    assert "the service should explain or correct it" in by_return


# --- Speed: a query per table, not per authority -------------------------------------------


class CountingConnection:
    """A connection that counts the queries asked of it."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection, self.queries = connection, 0

    def sql(self, *args, **kwargs):
        self.queries += 1
        return self.connection.sql(*args, **kwargs)


def test_a_quarters_reports_are_read_with_one_query_per_table(sample_warehouse) -> None:
    one = CountingConnection(sample_warehouse)
    load_quarter(one, PERIOD, ["St Helens"])
    both = CountingConnection(sample_warehouse)
    together = load_quarter(both, PERIOD)
    assert [data.authority for data in together] == ["Halton", "St Helens"]
    # Listing the authorities, then one query per table however many there are.
    assert both.queries == one.queries + 1 == 9
    # Read together, each authority's data is what it would be read alone.
    for data in together:
        assert data == load(sample_warehouse, data.authority, PERIOD)


# --- Text from the returns stays text -------------------------------------------------------

HOSTILE = '<script>alert("x")</script>'


def test_text_from_the_returns_is_escaped_in_the_report(sample_warehouse) -> None:
    from pipelines.report.html import render

    data = load(sample_warehouse, "St Helens", PERIOD)
    data.authority = HOSTILE
    data.priority_names = dict.fromkeys(data.priority_names, HOSTILE)
    for row in data.scorecard:
        row |= {"indicator": HOSTILE + ".", "commentary": f"{HOSTILE}\n\u2022 {HOSTILE}"}
    fields = ("department", "objective_ref", "milestone_ref", "milestone", "progress", "commentary")
    data.milestones = [dict.fromkeys(fields, HOSTILE)]
    page = render(data)
    assert "<script" not in page
    assert "&lt;script&gt;" in page


def test_text_from_the_returns_is_escaped_on_the_data_quality_page(tmp_path) -> None:
    from pipelines.quality_report import write_quality_report

    warehouse = tmp_path / "warehouse.build.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "create schema quality; create table quality.dq_flags as select "
            "$h as authority, '2024-25 Q2' as reporting_period, 1::smallint as priority_number, "
            "$h as ref, '2024-25 Q2' as period_key, 'inconsistent_' || $h as check_name, "
            "'WARN' as severity, $h as message, $h as observed, $h as expected, "
            "$h as source_file_path, 3 as source_row_number",
            {"h": HOSTILE},
        )
    page = write_quality_report(warehouse, tmp_path / "pages", "run", True, ["2024-25 Q2"])
    text = page.read_text()
    assert "<script" not in text and "&lt;script&gt;" in text
    assert "<h1>Data quality of the returns for 2024-25 Q2</h1>" in text
    assert "<title>Data quality of the returns for 2024-25 Q2, warehouse.duckdb</title>" in text
