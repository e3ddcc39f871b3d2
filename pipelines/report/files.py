"""Writing the quarterly report files: an HTML page and a workbook per authority.

The figures of every authority of the quarter are read from the warehouse at
once (a query per table); laying them out is pure Python, a twentieth of a
second per authority. A run over every council in England writes hundreds, so
from PARALLEL_FROM authorities on the files are written by a process per core.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb

from pipelines.quarters import Quarter
from pipelines.report.data import QuarterlyReportData, load_quarter
from pipelines.report.html import render
from pipelines.report.workbook import write_workbook

PARALLEL_FROM = 20


def report_stem(authority: str, period: str) -> str:
    """`st-helens-2024-25-Q2`: the file name of an authority's report for a quarter.

    Two authorities never share a file name. A name of plain words (ASCII letters and
    digits, single spaces) is its own file name, and the gate makes no two authorities of
    names that differ only in case or spacing; any other name (`St. Helens`, `Ynys Môn`)
    loses characters on the way, so a digest of the name itself is added."""
    slug = re.sub(r"[^a-z0-9]+", "-", authority.lower()).strip("-")
    if not re.fullmatch(r"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*", authority):
        slug = f"{slug}-{hashlib.sha256(authority.encode()).hexdigest()[:8]}"
    return f"{slug}-{Quarter.parse(period).partition_key}"


def write_reports(connection: duckdb.DuckDBPyConnection, period: str, folder: Path) -> list[Path]:
    """Every authority's report for the reporting period (`2024-25 Q2`); the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    reports = _load_out_of_collection(connection, period)
    try:
        if len(reports) < PARALLEL_FROM:
            return [path for data in reports for path in write_report(data, folder)]
        # Spawned, not forked: a fork would copy DuckDB's threads mid-flight.
        with ProcessPoolExecutor(
            max_workers=len(os.sched_getaffinity(0)),
            mp_context=multiprocessing.get_context("spawn"),
        ) as writers:
            written = [writers.submit(write_report, data, folder) for data in reports]
            return [path for files in written for path in files.result()]
    finally:
        gc.unfreeze()


def _load_out_of_collection(
    connection: duckdb.DuckDBPyConnection, period: str
) -> list[QuarterlyReportData]:
    """The quarter's report data, kept out of Python's garbage collector until the
    reports are written (gc.unfreeze). It is a dictionary per row, hundreds of thousands
    of them holding no cycles, and every full collection would walk them all again: a
    third of the time of reading them and of laying the reports out."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        reports = load_quarter(connection, period)
    finally:
        if was_enabled:
            gc.enable()
    gc.freeze()
    return reports


def write_report(data: QuarterlyReportData, folder: Path) -> list[Path]:
    """One authority's page and workbook."""
    page = folder / f"{report_stem(data.authority, data.reporting_period)}.html"
    page.write_text(render(data), encoding="utf-8")
    workbook = page.with_suffix(".xlsx")
    write_workbook(data, workbook)
    return [page, workbook]
