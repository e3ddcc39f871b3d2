"""Everything Dagster loads, in one place: assets, checks, the job and resources.

The resources, the schedule and the sensor take their paths and days from the
settings file (pipelines/settings.py), as the command line does. What is derived
from the assets (lineage checked, the tables publication waits for, the
expectation steps) is built by the named functions below, which the module calls
once."""

from dagster import (
    AssetChecksDefinition,
    AssetKey,
    AssetsDefinition,
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
from pipelines.resources import (
    ExpectationSuites,
    ReferenceData,
    ReportsFolder,
    ReturnsFolder,
    Warehouse,
)
from pipelines.settings import Settings, load_settings
from pipelines.sql_models.model import SqlModel
from pipelines.sql_models.model_files import project_sql_models

BUILD_WAREHOUSE_JOB = "build_warehouse"

PYTHON_ASSETS = [ingest_returns, return_gate, expected_returns, observation_history]


def build_table_assets(models: list[SqlModel]) -> list[AssetsDefinition]:
    """The assets that build tables: the Python steps and the SQL models, one step per
    layer. Every table a model reads must be built by one of them."""
    table_assets = [*PYTHON_ASSETS, *build_layer_assets(models)]
    built = {key for assets_def in table_assets for key in assets_def.keys}
    for model in models:
        if unknown := model.upstream - built:
            raise ValueError(
                f"{model.path} reads {', '.join(k.to_user_string() for k in unknown)}, "
                "which no asset builds"
            )
    return table_assets


def build_publish(table_assets: list[AssetsDefinition]) -> AssetsDefinition:
    """Publication waits for every table, each a direct dependency. The leaves alone are
    not enough: a table read by another built in the same step (a summary's
    `_by_judgement` counts and its two marts) has its suite's checks run after that step,
    when its readers are already built, so only a direct dependency lets a failed
    blocking check on it stop publication."""
    built = {key for assets_def in table_assets for key in assets_def.keys}
    return build_publish_asset(sorted(built, key=str))


def build_expectation_steps(table_assets: list[AssetsDefinition]) -> list[AssetChecksDefinition]:
    """The suites of the tables one step builds run together, in one step after it."""
    suites_by_step: dict[str, list[Suite]] = {}
    for suite in discover_suites():
        (builder,) = [a for a in table_assets if suite.asset_key in a.keys]
        suites_by_step.setdefault(f"{builder.node_def.name}_expectations", []).append(suite)
    return [build_expectation_checks(name, suites) for name, suites in suites_by_step.items()]


def unpartitioned_keys(assets: list[AssetsDefinition]) -> list[AssetKey]:
    """The keys of the assets built whole, not by financial quarter."""
    return [
        key for assets_def in assets if not assets_def.partitions_def for key in assets_def.keys
    ]


table_assets = build_table_assets(project_sql_models())
publish = build_publish(table_assets)
UNPARTITIONED_ASSETS = unpartitioned_keys([*table_assets, publish])

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
        *build_expectation_steps(table_assets),
    ],
    jobs=[build_warehouse],
    schedules=[build_quarterly_schedule(BUILD_WAREHOUSE_JOB, SETTINGS.days_after_quarter_end)],
    sensors=[build_returns_sensor(BUILD_WAREHOUSE_JOB)],
    resources=resources_from(SETTINGS),
)
