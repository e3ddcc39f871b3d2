"""The quarterly report's figures as an Excel workbook, for pasting into other papers.

A sheet per summary table and a scorecard sheet, each with bold frozen headers,
sensible widths and number formats, and the quarter's data-quality findings.
Free text comes from the returns, so every text cell is written as text: one
that begins with `=`, `+`, `-` or `@` can never run as a formula in the reader's
Excel, and a web address is not turned into a link.

XlsxWriter writes it: a report is written for every authority each quarter
(400 at the benchmark's large scale), and it writes a sheet row by row in a
fraction of the time openpyxl takes to build and serialise one.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from pipelines.report.data import SUMMARY_TABLES, QuarterlyReportData

HEADER = {"bold": True, "bg_color": "#E6E6E6", "pattern": 1}
PER_CENT = "0.0"  # per cents are 0-100 in the warehouse, kept unrounded here
SHEET_TITLES = {
    "performance": "Performance against target",
    "trend": "Trend",
    "quartiles": "Inter-authority comparison",
}


class _Sheet:
    """A sheet written row by row, remembering how wide each column's text is."""

    def __init__(self, workbook: xlsxwriter.Workbook, title: str, header: list[str]) -> None:
        self.workbook = workbook
        self.sheet: Worksheet = workbook.add_worksheet(title)
        self.header = header
        self.longest = [len(name) for name in header]
        self.sheet.write_row(0, 0, header, workbook.add_format(HEADER))
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
                self.sheet.write_string(self.rows, column, str(value))
            self.longest[column] = max(self.longest[column], len(str(value)))
        self.rows += 1

    def finish(self, formats: dict[str, str]) -> None:
        number_formats: dict[str, Format] = {}
        for column, name in enumerate(self.header):
            number_format = None
            if name in formats:
                number_format = number_formats.setdefault(
                    formats[name], self.workbook.add_format({"num_format": formats[name]})
                )
            width = min(max(10, self.longest[column] + 2), 60)
            self.sheet.set_column(column, column, width, number_format)


def write_workbook(data: QuarterlyReportData, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(
        path,
        {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "nan_inf_to_errors": True,
        },
    )
    for key, (_, categories) in SUMMARY_TABLES.items():
        columns = ["n_with_data"] + [f"{p}_{c}" for c, _ in categories for p in ("n", "pct")]
        sheet = _Sheet(
            workbook, SHEET_TITLES[key], ["authority", "reporting_period", "priority", *columns]
        )
        for row in data.tables[key]:
            sheet.append([row["authority"], row["reporting_period"],
                          row["priority"] if row["priority"] is not None else "Total",
                          *(row[column] for column in columns)])  # fmt: skip
        sheet.finish({c: PER_CENT for c in columns if c.startswith("pct_")})
    quarter_columns = [key[-2:] for key in data.quarters_so_far]
    scorecard = _Sheet(workbook, "Scorecard", [
        "priority", "tier", "ref", "indicator", "polarity", "last_year_outturn", "annual_target",
        *quarter_columns, "period_target", "value_as_at", "variance_pct", "status", "trend",
        "trend_basis", "comparative_quartile", "comparator_period", "commentary",
    ])  # fmt: skip
    for row in data.scorecard:
        scorecard.append([row["priority_number"], row["tier"], row["ref"], row["indicator"],
                          row["polarity"], row["last_year_outturn"], row["annual_target"],
                          *row["quarters"], row["period_target"], row["value_as_at"],
                          row["variance_pct"], row["performance_status"], row["trend"],
                          row["trend_basis"], row["comparative_quartile"],
                          row["comparator_period"], row["commentary"]])  # fmt: skip
    scorecard.finish({"variance_pct": "0.00"})
    findings = _Sheet(
        workbook, "Data quality", ["severity", "priority", "ref", "check", "finding", "file", "row"]
    )
    for finding in data.findings:
        findings.append([finding["severity"], finding["priority_number"], finding["ref"],
                         finding["check_name"], finding["message"],
                         finding["source_file_path"], finding["source_row_number"]])  # fmt: skip
    findings.finish({})
    workbook.close()
