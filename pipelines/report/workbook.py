"""The quarterly report's figures as an Excel workbook, for pasting into other papers.

A sheet per summary table and a scorecard sheet, each with bold frozen headers a
person reads, filters, long text wrapped, number formats, and a print setup
(A4 landscape, the header row repeated on every page); and the quarter's
data-quality findings. A numeric column holds only numbers: a note typed where
a quarter's figure should be goes in its own column. Free text comes from the
returns, so every text cell is written as text: one that begins with `=`, `+`,
`-` or `@` can never run as a formula in the reader's Excel, and a web address
is not turned into a link.

XlsxWriter writes it: a report is written for every authority each quarter
(400 at the benchmark's large scale), and it writes a sheet row by row in a
fraction of the time openpyxl takes to build and serialise one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from pipelines.report.data import SUMMARY_TABLES, QuarterlyReportData
from pipelines.report.html import STATUS_LABELS, TREND_LABELS, target_kind

HEADER = {"bold": True, "bg_color": "#E6E6E6", "pattern": 1, "text_wrap": True, "valign": "top"}
PER_CENT = "0.0"  # per cents are 0-100 in the warehouse, kept unrounded here
A4 = 9  # Excel's paper size code
WRAPPED_WIDTH = 50  # columns of long text wrap at this width
SHEET_TITLES = {
    "performance": "Performance against target",
    "trend": "Trend",
    "quartiles": "Inter-authority comparison",
}
TREND_BASIS_WORDS = {
    "warehouse history": "computed, from the warehouse a year earlier",
    "same period last year": "computed, from the return's figure a year earlier",
    "reported": "as the service reported it",
}


@dataclass(frozen=True)
class Column:
    header: str
    number_format: str | None = None  # a numeric column: numbers only
    wrapped: bool = False  # long text, wrapped at WRAPPED_WIDTH


class _Sheet:
    """A sheet written row by row, remembering how wide each column's text is."""

    def __init__(self, workbook: xlsxwriter.Workbook, title: str, columns: list[Column]) -> None:
        self.workbook = workbook
        self.sheet: Worksheet = workbook.add_worksheet(title)
        self.columns = columns
        self.longest = [min(len(column.header), 20) for column in columns]
        self.sheet.write_row(0, 0, [c.header for c in columns], workbook.add_format(HEADER))
        self.sheet.freeze_panes(1, 0)
        self.rows = 1

    def append(self, values: list[object]) -> None:
        for column, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, bool):
                self.sheet.write_boolean(self.rows, column, value)
            elif isinstance(value, int | float | Decimal):
                self.sheet.write_number(self.rows, column, value)
            else:
                if self.columns[column].number_format:
                    raise TypeError(f"{self.columns[column].header!r} holds numbers, not {value!r}")
                self.sheet.write_string(self.rows, column, str(value))
            self.longest[column] = max(self.longest[column], len(str(value)))
        self.rows += 1

    def finish(self, *, filters: bool = False) -> None:
        formats: dict[tuple[str | None, bool], Format] = {}
        for index, column in enumerate(self.columns):
            key = (column.number_format, column.wrapped)
            if key not in formats:
                properties: dict[str, object] = {"valign": "top"}
                if column.number_format:
                    properties["num_format"] = column.number_format
                if column.wrapped:
                    properties["text_wrap"] = True
                formats[key] = self.workbook.add_format(properties)
            width = WRAPPED_WIDTH if column.wrapped else min(max(8, self.longest[index] + 2), 40)
            self.sheet.set_column(index, index, width, formats[key])
        if filters:
            self.sheet.autofilter(0, 0, max(self.rows - 1, 1), len(self.columns) - 1)
        self.sheet.set_landscape()
        self.sheet.set_paper(A4)
        self.sheet.repeat_rows(0)
        self.sheet.fit_to_pages(1, 0)  # as wide as one page, as long as it takes


def _priority_name(data: QuarterlyReportData, priority: int | None) -> str:
    if priority is None:
        return "Total"
    return data.priority_names.get(priority) or f"Priority {priority}"


def write_workbook(data: QuarterlyReportData, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(
        path,
        {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "nan_inf_to_errors": True,
            # Built in memory and zipped once: no temporary file per part to write and remove.
            "in_memory": True,
        },
    )
    for key, (_, categories) in SUMMARY_TABLES.items():
        sheet = _Sheet(workbook, SHEET_TITLES[key], [
            Column("Authority"), Column("Quarter"), Column("Priority", "0"),
            Column("Priority name", wrapped=True), Column("Indicators with data", "0"),
            *(column for _, name in categories
              for column in (Column(f"{name} (number)", "0"), Column(f"{name} (%)", PER_CENT))),
        ])  # fmt: skip
        for row in data.tables[key]:
            shares = (
                row[field] for column, _ in categories for field in (f"n_{column}", f"pct_{column}")
            )
            sheet.append(
                [
                    row["authority"],
                    row["reporting_period"],
                    row["priority"],
                    _priority_name(data, row["priority"]),
                    row["n_with_data"],
                    *shares,
                ]
            )
        sheet.finish()

    quarter_labels = [quarter.name for quarter in data.quarter.year_to_date()]
    scorecard = _Sheet(workbook, "Scorecard", [
        Column("Priority", "0"), Column("Priority name", wrapped=True), Column("Tier", "0"),
        Column("Ref"), Column("Indicator", wrapped=True), Column("Higher or lower is better"),
        Column(f"{data.quarter.year_earlier().financial_year} outturn", "General"),
        Column(f"{data.quarter.financial_year} annual target", "General"),
        *(Column(label, "General") for label in quarter_labels),
        Column("Notes in place of a quarter's figure", wrapped=True),
        Column("Value judged", "General"), Column("Target judged against", "General"),
        Column("Kind of target"), Column("Variance from target (%)", "0.00"),
        Column("Status"), Column("Trend"), Column("Trend from"),
        Column("Comparator quartile (1 best, 4 worst)", "0"), Column("Comparator period"),
        Column("Commentary", wrapped=True),
    ])  # fmt: skip
    for row in data.scorecard:
        figures = [cell if isinstance(cell, int | float) else None for cell in row["quarters"]]
        notes = "; ".join(
            f"{label}: {cell}"
            for label, cell in zip(quarter_labels, row["quarters"], strict=True)
            if isinstance(cell, str)
        )
        scorecard.append([
            row["priority_number"], _priority_name(data, row["priority_number"]), row["tier"],
            row["ref"], row["indicator"], row["polarity"], row["last_year_outturn"],
            row["annual_target"], *figures, notes or None, row["value_as_at"],
            row["period_target"], target_kind(row),
            row["variance_pct"], STATUS_LABELS.get(row["performance_status"]),
            TREND_LABELS.get(row["trend"]), TREND_BASIS_WORDS.get(row["trend_basis"]),
            row["comparative_quartile"], row["comparator_period"], row["commentary"],
        ])  # fmt: skip
    scorecard.finish(filters=True)

    findings = _Sheet(workbook, "Data quality", [
        Column("Severity"), Column("Priority", "0"), Column("Priority name", wrapped=True),
        Column("Ref"), Column("Check"), Column("Finding", wrapped=True), Column("File"),
        Column("Row in the file", "0"),
    ])  # fmt: skip
    for finding in data.findings:
        findings.append([finding["severity"], finding["priority_number"],
                         None if finding["priority_number"] is None
                         else _priority_name(data, finding["priority_number"]),
                         finding["ref"], finding["check_name"], finding["message"],
                         finding["source_file_path"], finding["source_row_number"]])  # fmt: skip
    findings.finish(filters=True)
    workbook.close()
