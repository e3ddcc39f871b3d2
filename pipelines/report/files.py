"""Writing the quarterly report files: an HTML page and a workbook per authority.

The figures of every authority of the quarter are read from the warehouse at
once (a query per table); laying them out takes about thirty milliseconds per
authority of 300 indicators (the page's template twelve, the workbook sixteen).
A run over every council in England writes hundreds, so from PARALLEL_FROM
authorities on the files are written by a process per core, each sent a few
shares of the authorities with their figures as frames: a handful of tasks, not
one per authority, and no dictionary per row to pickle.
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
from pipelines.report.data import (
    QuarterlyReportData,
    QuarterTables,
    authorities_with_period,
    read_quarter,
)
from pipelines.report.html import render
from pipelines.report.workbook import write_workbook

PARALLEL_FROM = 20
# Shares per writing process: enough that one ending early finds another share to take.
SHARES_PER_WRITER = 4


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
    authorities = authorities_with_period(connection, period)
    if len(authorities) < PARALLEL_FROM:
        return write_share(read_quarter(connection, period, authorities), folder)
    writers_count = len(os.sched_getaffinity(0))
    # Spawned, not forked: a fork would copy DuckDB's threads mid-flight.
    with ProcessPoolExecutor(
        max_workers=writers_count, mp_context=multiprocessing.get_context("spawn")
    ) as writers:
        # Each submission starts a writer until there are writers_count: they start and
        # import the report's libraries (a second each) while the warehouse is read.
        for _ in range(writers_count):
            writers.submit(_ready)
        tables = read_quarter(connection, period, authorities)
        written = [
            writers.submit(write_share, share, folder)
            for share in tables.shares(writers_count * SHARES_PER_WRITER)
        ]
        return [path for share in written for path in share.result()]


def _ready() -> None:
    """Nothing: run in a new writer, it has imported this module and all it needs."""


def write_share(tables: QuarterTables, folder: Path) -> list[Path]:
    """The reports of a share of the authorities, in their order; the paths written.

    Their rows are dictionaries, thousands per authority and holding no cycles, kept out
    of Python's garbage collector while the reports are laid out (gc.unfreeze at the
    end): every full collection would walk them all again, a third of the time of
    making them and of laying the reports out."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        reports = tables.reports()
    finally:
        if was_enabled:
            gc.enable()
    gc.freeze()
    try:
        return [path for data in reports for path in write_report(data, folder)]
    finally:
        gc.unfreeze()


def write_report(data: QuarterlyReportData, folder: Path) -> list[Path]:
    """One authority's page and workbook."""
    page = folder / f"{report_stem(data.authority, data.reporting_period)}.html"
    page.write_text(render(data), encoding="utf-8")
    workbook = page.with_suffix(".xlsx")
    write_workbook(data, workbook)
    return [page, workbook]
