"""Step 8, report: each authority's quarterly performance report, for each quarter built.

An HTML page for the committee paper and a workbook of the same figures, written
to the reports folder (git-ignored) from the tables this run built. Partitioned
like the marts it reads: a quarter's run rewrites that quarter's reports.
"""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from pipelines.partitions import FINANCIAL_QUARTERS, reporting_period
from pipelines.report.files import write_reports
from pipelines.resources import ReportsFolder, Warehouse

QUARTERLY_REPORTS = AssetKey(["quarterly_reports"])


@asset(
    key=QUARTERLY_REPORTS,
    deps=[
        AssetKey(["marts", "mart_priority_performance"]),
        AssetKey(["marts", "mart_priority_trend"]),
        AssetKey(["marts", "mart_quartile_distribution"]),
        AssetKey(["marts", "fct_indicator_observations"]),
        AssetKey(["quality", "dq_flags"]),
    ],
    partitions_def=FINANCIAL_QUARTERS,
    group_name="report",
    description="Each authority's quarterly performance report for the quarter: an HTML page "
    "(tables, charts, scorecards, data-quality caveats) and an Excel workbook.",
    kinds={"html", "excel"},
)
def quarterly_reports(
    context: AssetExecutionContext, warehouse: Warehouse, reports_folder: ReportsFolder
) -> MaterializeResult:
    written = []
    with warehouse.connect() as connection:
        for key in context.partition_keys:
            written += write_reports(connection, reporting_period(key), reports_folder.quarterly)
    return MaterializeResult(metadata={"files": [str(path) for path in written]})
