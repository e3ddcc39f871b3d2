"""Everything Dagster loads, in one place: assets, checks, the job and resources."""

from dagster import (
    AssetSelection,
    Definitions,
    define_asset_job,
    in_process_executor,
)

from assets.raw_returns import ingest_returns
from assets.return_gate import return_gate, rows_read_equal_rows_valid_plus_rows_rejected
from assets.sql_models import build_grain_check, build_model_asset, load_sql_models
from pipelines.paths import SQL_DIR
from pipelines.resources import ReturnsFolder, Warehouse

BUILD_WAREHOUSE_JOB = "build_warehouse"

python_assets = [ingest_returns, return_gate]
sql_models = load_sql_models(SQL_DIR)

_known_keys = {key for assets_def in python_assets for key in assets_def.keys} | {
    model.key for model in sql_models
}
for _model in sql_models:
    if unknown := _model.upstream - _known_keys:
        raise ValueError(
            f"{_model.path} reads {', '.join(k.to_user_string() for k in unknown)}, "
            "which no asset builds"
        )

build_warehouse = define_asset_job(
    BUILD_WAREHOUSE_JOB,
    selection=AssetSelection.all(),
    description="Read every return in the returns folder, gate it and build the warehouse.",
    # One process: the steps share a DuckDB file and are seconds long, so
    # starting a process per step would cost more than the work.
    executor_def=in_process_executor,
)

defs = Definitions(
    assets=[*python_assets, *(build_model_asset(model) for model in sql_models)],
    asset_checks=[
        rows_read_equal_rows_valid_plus_rows_rejected,
        *(build_grain_check(model) for model in sql_models),
    ],
    jobs=[build_warehouse],
    resources={"warehouse": Warehouse(), "returns_folder": ReturnsFolder()},
)
