"""Writing the quarterly report files: an HTML page and a workbook per authority."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from pipelines.partitions import partition_key_of
from pipelines.report.data import authorities_with_period, load
from pipelines.report.html import render
from pipelines.report.workbook import write_workbook


def report_stem(authority: str, period: str) -> str:
    """`st-helens-2024-25-Q2`: the file name of an authority's report for a quarter."""
    return f"{re.sub(r'[^a-z0-9]+', '-', authority.lower()).strip('-')}-{partition_key_of(period)}"


def write_reports(connection: duckdb.DuckDBPyConnection, period: str, folder: Path) -> list[Path]:
    """Every authority's report for the reporting period (`2024-25 Q2`); the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for authority in authorities_with_period(connection, period):
        data = load(connection, authority, period)
        page = folder / f"{report_stem(authority, period)}.html"
        page.write_text(render(data), encoding="utf-8")
        workbook = page.with_suffix(".xlsx")
        write_workbook(data, workbook)
        written += [page, workbook]
    return written
