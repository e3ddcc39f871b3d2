"""The quarterly report's figures as an Excel workbook, for pasting into other papers.

A sheet per summary table and a scorecard sheet, each with bold frozen headers a
person reads, filters, long text wrapped, number formats, and a print setup
(A4 landscape, the header row repeated on every page); and the quarter's
data-quality findings. A numeric column holds only numbers: a note typed where
a quarter's figure should be goes in its own column. Free text comes from the
returns, so every text cell is written as text: one that begins with `=`, `+`,
`-` or `@` can never run as a formula in the reader's Excel, and a web address
is not turned into a link.

rustpy-xlsxwriter writes it (Rust's rust_xlsxwriter, called once per workbook with
every sheet's rows as a typed frame): a report is written for every authority each
quarter (400 at the benchmark's large scale), and XlsxWriter, pure Python, took
about fifty milliseconds of a 300-indicator workbook where this takes about
sixteen, most of them gathering the rows here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import rustpy_xlsxwriter

from pipelines.report.data import SUMMARY_TABLES, QuarterlyReportData
from pipelines.report.html import STATUS_LABELS, TREND_LABELS, target_kind

PER_CENT = "0.0"  # per cents are 0-100 in the warehouse, kept unrounded here
WHOLE_NUMBER = "0"  # a column of this format holds whole numbers
A4 = 9  # Excel's paper size code
WRAPPED_WIDTH = 50  # columns of long text wrap at this width
PRINT_SETUP = {
    "landscape": True,
    "paper_size": A4,
    "repeat_rows": 0,  # the header row on every page
    "fit_to_pages": (1, 0),  # as wide as one page, as long as it takes
}
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
    """A sheet's rows, remembering how wide each column's text is."""

    def __init__(self, title: str, columns: list[Column], *, filters: bool = False) -> None:
        self.title = title
        self.columns = columns
        self.filters = filters
        self.longest = [min(len(column.header), 20) for column in columns]
        self.rows: list[list[object]] = []

    def append(self, values: list[object]) -> None:
        for column, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, str) and self.columns[column].number_format:
                raise TypeError(f"{self.columns[column].header!r} holds numbers, not {value!r}")
            self.longest[column] = max(self.longest[column], len(str(value)))
        self.rows.append(values)

    def frame(self) -> pl.DataFrame:
        """The rows as typed columns: whole numbers, other numbers, or text."""
        schema = {
            column.header: pl.Int64 if column.number_format == WHOLE_NUMBER
            else pl.Float64 if column.number_format else pl.String
            for column in self.columns
        }  # fmt: skip
        return pl.DataFrame(self.rows, schema=schema, orient="row")

    def widths(self) -> list[float]:
        return [
            WRAPPED_WIDTH if column.wrapped else min(max(8, longest + 2), 40)
            for column, longest in zip(self.columns, self.longest, strict=True)
        ]

    def formats(self) -> dict[str, rustpy_xlsxwriter.Format]:
        formats = {}
        for column in self.columns:
            cell = rustpy_xlsxwriter.Format().set_align("top")
            if column.number_format:
                cell.set_num_format(column.number_format)
            if column.wrapped:
                cell.set_text_wrap()
            formats[column.header] = cell
        return formats


def _priority_name(data: QuarterlyReportData, priority: int | None) -> str:
    if priority is None:
        return "Total"
    return data.priority_names.get(priority) or f"Priority {priority}"


def write_workbook(data: QuarterlyReportData, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sheets = []
    for key, (_, categories) in SUMMARY_TABLES.items():
        sheet = _Sheet(SHEET_TITLES[key], [
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
        sheets.append(sheet)

    quarter_labels = [quarter.name for quarter in data.quarter.year_to_date()]
    scorecard = _Sheet("Scorecard", [
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
    ], filters=True)  # fmt: skip
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

    findings = _Sheet("Data quality", [
        Column("Severity"), Column("Priority", "0"), Column("Priority name", wrapped=True),
        Column("Ref"), Column("Check"), Column("Finding", wrapped=True), Column("File"),
        Column("Row in the file", "0"),
    ], filters=True)  # fmt: skip
    for finding in data.findings:
        findings.append([finding["severity"], finding["priority_number"],
                         None if finding["priority_number"] is None
                         else _priority_name(data, finding["priority_number"]),
                         finding["ref"], finding["check_name"], finding["message"],
                         finding["source_file_path"], finding["source_row_number"]])  # fmt: skip
    sheets += [scorecard, findings]
    header = (
        rustpy_xlsxwriter.Format().set_bold().set_background_color("#E6E6E6")
        .set_pattern("solid").set_text_wrap().set_align("top")
    )  # fmt: skip
    # Text cells are written as text: a string is never read as a formula or a link.
    rustpy_xlsxwriter.write_worksheets(
        [(sheet.title, sheet.frame()) for sheet in sheets],
        str(path),
        freeze_panes={"general": {"row": 1, "col": 0}},
        header_format={"general": header},
        column_widths={sheet.title: sheet.widths() for sheet in sheets},
        column_formats={sheet.title: sheet.formats() for sheet in sheets},
        autofilter={sheet.title: sheet.filters for sheet in sheets},
        page_setup={"general": PRINT_SETUP},
    )
