"""Step 8, report: each authority's quarterly performance report, for the latest quarter built.

An HTML page for the committee paper and a workbook of the same figures, written
to the reports folder (git-ignored) from the tables this run built. A run
writes the reports of the latest quarter it was asked for: the quarter going to
committee. A run over the whole history would otherwise write a report for
every authority and quarter there has ever been (4,800 at the scale the
benchmark measures); an earlier quarter's reports are written when asked for,
by `python -m pipelines report --period`.
"""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from assets.raw_returns import requested_quarters
from pipelines.report.data import TABLES_READ
from pipelines.report.files import write_reports
from pipelines.resources import ReportsFolder, Warehouse

QUARTERLY_REPORTS = AssetKey(["quarterly_reports"])


@asset(
    key=QUARTERLY_REPORTS,
    # The tables the report's queries read, declared beside them.
    deps=[AssetKey(list(table)) for table in TABLES_READ],
    group_name="report",
    description="Each authority's quarterly performance report for the latest quarter the run "
    "built: an HTML page (tables, charts, scorecards, data-quality caveats) and an Excel "
    "workbook.",
    kinds={"html", "excel"},
)
def quarterly_reports(
    context: AssetExecutionContext, warehouse: Warehouse, reports_folder: ReportsFolder
) -> MaterializeResult:
    quarters = requested_quarters(context)
    if not quarters:
        return MaterializeResult(metadata={"quarter": "none built", "files": []})
    latest = max(quarters)
    with warehouse.connect() as connection:
        written = write_reports(connection, latest.key, reports_folder.quarterly)
    return MaterializeResult(
        metadata={"quarter": latest.partition_key, "files": [str(path) for path in written]}
    )
