"""The quarterly report's figures as an Excel workbook, for pasting into other papers.

A sheet per summary table and a scorecard sheet, each with bold frozen headers,
sensible widths and number formats, and the quarter's data-quality findings.
Free text comes from the returns, so a cell that begins with `=`, `+`, `-` or
`@` is written as text and can never run as a formula in the reader's Excel.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.report.data import SUMMARY_TABLES, QuarterlyReportData

FORMULA_STARTS = ("=", "+", "-", "@")
HEADER_FILL = PatternFill("solid", fgColor="E6E6E6")
PER_CENT = "0.0"  # per cents are 0-100 in the warehouse, kept unrounded here
SHEET_TITLES = {
    "performance": "Performance against target",
    "trend": "Trend",
    "quartiles": "Inter-authority comparison",
}


def _append(sheet: Worksheet, values: list[object]) -> None:
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
            cell.data_type = "s"  # text as typed, never a formula


def _finish(sheet: Worksheet, formats: dict[str, str]) -> None:
    header = [cell.value for cell in sheet[1]]
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    sheet.freeze_panes = "A2"
    for index, name in enumerate(header, start=1):
        letter = get_column_letter(index)
        longest = max(
            (len(str(cell.value)) for cell in sheet[letter] if cell.value is not None), default=8
        )
        sheet.column_dimensions[letter].width = min(max(10, longest + 2), 60)
        if name in formats:
            for cell in sheet[letter][1:]:
                cell.number_format = formats[name]


def write_workbook(data: QuarterlyReportData, path: Path) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for key, (_, categories) in SUMMARY_TABLES.items():
        sheet = workbook.create_sheet(SHEET_TITLES[key])
        columns = ["n_with_data"] + [f"{p}_{c}" for c, _ in categories for p in ("n", "pct")]
        _append(sheet, ["authority", "reporting_period", "priority", *columns])
        for row in data.tables[key]:
            _append(sheet, [row["authority"], row["reporting_period"],
                            row["priority"] if row["priority"] is not None else "Total",
                            *(row[column] for column in columns)])  # fmt: skip
        _finish(sheet, {c: PER_CENT for c in columns if c.startswith("pct_")})
    scorecard = workbook.create_sheet("Scorecard")
    quarter_columns = [key[-2:] for key in data.quarters_so_far]
    _append(scorecard, ["priority", "tier", "ref", "indicator", "polarity", "last_year_outturn",
                        "annual_target", *quarter_columns, "period_target", "value_as_at",
                        "variance_pct", "status", "trend", "trend_basis", "comparative_quartile",
                        "comparator_period", "commentary"])  # fmt: skip
    for row in data.scorecard:
        _append(scorecard, [row["priority_number"], row["tier"], row["ref"], row["indicator"],
                            row["polarity"], row["last_year_outturn"], row["annual_target"],
                            *row["quarters"], row["period_target"], row["value_as_at"],
                            row["variance_pct"], row["performance_status"], row["trend"],
                            row["trend_basis"], row["comparative_quartile"],
                            row["comparator_period"], row["commentary"]])  # fmt: skip
    _finish(scorecard, {"variance_pct": "0.00"})
    findings = workbook.create_sheet("Data quality")
    _append(findings, ["severity", "priority", "ref", "check", "finding", "file", "row"])
    for finding in data.findings:
        _append(findings, [finding["severity"], finding["priority_number"], finding["ref"],
                           finding["check_name"], finding["message"],
                           finding["source_file_path"], finding["source_row_number"]])  # fmt: skip
    _finish(findings, {})
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
