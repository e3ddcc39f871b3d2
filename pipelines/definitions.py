"""Everything Dagster loads, in one place: assets, checks, the job and resources.

The resources, the schedule and the sensor take their paths and days from the
settings file (pipelines/settings.py), as the command line does."""

from dagster import (
    AssetSelection,
    Definitions,
    define_asset_job,
    in_process_executor,
)

from assets.audit_trail import observation_history
from assets.expectation_checks import Suite, build_expectation_checks, discover_suites
from assets.publish import build_publish_asset
from assets.quarterly_reports import quarterly_reports
from assets.raw_returns import ingest_returns
from assets.reference_data import expected_returns
from assets.return_gate import return_gate, rows_read_equal_rows_valid_plus_rows_rejected
from assets.sql_models import build_layer_assets
from pipelines.automation import build_quarterly_schedule, build_returns_sensor
from pipelines.paths import SQL_DIR
from pipelines.resources import (
    ExpectationSuites,
    ReferenceData,
    ReportsFolder,
    ReturnsFolder,
    Warehouse,
)
from pipelines.settings import Settings, load_settings
from pipelines.sql_models.model_files import load_sql_models

BUILD_WAREHOUSE_JOB = "build_warehouse"

python_assets = [ingest_returns, return_gate, expected_returns, observation_history]
sql_models = load_sql_models(SQL_DIR)
table_assets = [*python_assets, *build_layer_assets(sql_models)]

_built_keys = {key for assets_def in table_assets for key in assets_def.keys}
for _model in sql_models:
    if unknown := _model.upstream - _built_keys:
        raise ValueError(
            f"{_model.path} reads {', '.join(k.to_user_string() for k in unknown)}, "
            "which no asset builds"
        )

# Publication waits for every table: the leaves of the graph are the tables
# nothing else reads.
_read_by_another = {dep.asset_key for a in table_assets for spec in a.specs for dep in spec.deps}
publish = build_publish_asset(sorted(_built_keys - _read_by_another, key=str))

# The suites of the tables one step builds run together, in one step after it.
_suites_by_step: dict[str, list[Suite]] = {}
for _suite in discover_suites():
    (_builder,) = [a for a in table_assets if _suite.asset_key in a.keys]
    _suites_by_step.setdefault(f"{_builder.node_def.name}_expectations", []).append(_suite)
expectation_checks = [build_expectation_checks(name, s) for name, s in _suites_by_step.items()]

UNPARTITIONED_ASSETS = [
    key for assets_def in [*table_assets, publish] if not assets_def.partitions_def
    for key in assets_def.keys
]  # fmt: skip

build_warehouse = define_asset_job(
    BUILD_WAREHOUSE_JOB,
    selection=AssetSelection.all(),
    description="Read every return in the returns folder, gate it, build the warehouse for the "
    "chosen financial quarters, check it and publish it.",
    # One process: the steps share a DuckDB file and are seconds long, so
    # starting a process per step would cost more than the work.
    executor_def=in_process_executor,
)


def resources_from(settings: Settings) -> dict[str, object]:
    """The resources of a run with these settings."""
    return {
        "warehouse": Warehouse(path=str(settings.warehouse)),
        "returns_folder": ReturnsFolder(path=str(settings.returns_dir)),
        "reference": ReferenceData(expected_returns=str(settings.expected_returns)),
        "expectation_suites": ExpectationSuites(),
        "reports_folder": ReportsFolder(path=str(settings.reports_dir)),
    }


SETTINGS = load_settings()

defs = Definitions(
    assets=[*table_assets, publish, quarterly_reports],
    asset_checks=[
        rows_read_equal_rows_valid_plus_rows_rejected,
        *expectation_checks,
    ],
    jobs=[build_warehouse],
    schedules=[build_quarterly_schedule(BUILD_WAREHOUSE_JOB, SETTINGS.days_after_quarter_end)],
    sensors=[build_returns_sensor(BUILD_WAREHOUSE_JOB)],
    resources=resources_from(SETTINGS),
)
