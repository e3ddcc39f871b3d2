"""Steps 3 to 6, the SQL models as Dagster assets (the models themselves:
pipelines/sql_models/).

Each model is one asset, but the models of a layer are built in one step
(`staging_models`, `marts_models`, ...), in the order they read each other,
with each model's checks run right after it is built: Dagster's cost per step
(its events written to SQLite) is more than most models' SQL, so a step per
model and per check would be most of a run. A failed grain check fails the
step, after the layer's other models; nothing that reads the table is built.
"""

import os
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    multi_asset,
)

from pipelines.partitions import FINANCIAL_QUARTERS
from pipelines.paths import PROJECT_ROOT
from pipelines.quarters import Quarter
from pipelines.resources import Warehouse
from pipelines.sql_models.checks import GRAIN_CHECK, grain_check_blocks, model_check_specs
from pipelines.sql_models.model import SqlModel
from pipelines.sql_models.tables import build_table, column_schema, in_build_order

# A run with this tag ("true") builds every incremental model whole, from the rows it
# reads, as `python -m pipelines run --full-refresh` does: dbt's --full-refresh.
FULL_REFRESH_TAG = "pipelines/full_refresh"


def build_layer_assets(models: list[SqlModel]) -> list[AssetsDefinition]:
    """The models as assets, one step per layer: `staging_models`, `marts_models`, and
    `<layer>_models_by_quarter` for a layer's models partitioned by quarter."""
    layers: dict[tuple[str, bool], list[SqlModel]] = {}
    for model in models:
        layers.setdefault((model.layer, model.partitioned_by is not None), []).append(model)
    return [
        _build_layer_asset(
            f"{layer}_models" + ("_by_quarter" if by_quarter else ""), group, by_quarter
        )
        for (layer, by_quarter), group in layers.items()
    ]


def _build_layer_asset(name: str, models: list[SqlModel], partitioned: bool) -> AssetsDefinition:
    """Each model stays its own asset, with its lineage, checks and metadata; the models of
    a layer are built in one step, one after another, as dagster-dbt builds a dbt
    project: Dagster's cost per step is more than most models' SQL."""
    models = in_build_order(models)

    @multi_asset(
        name=name,
        specs=[
            AssetSpec(
                model.key,
                deps=sorted(model.upstream, key=lambda key: key.to_user_string()),
                group_name=model.layer,
                description=model.description,
                kinds={"duckdb", "sql"},
                metadata={
                    "sql_file": Path(os.path.relpath(model.path, PROJECT_ROOT)).as_posix(),
                    "grain": ", ".join(model.grain),
                    "dagster/column_schema": column_schema(model, {}),
                },
                # Not built when a table it reads failed its grain check.
                skippable=True,
            )
            for model in models
        ],
        check_specs=[spec for model in models for spec in model_check_specs(model)],
        can_subset=True,
        partitions_def=FINANCIAL_QUARTERS if partitioned else None,
        # Backfilling many quarters is one run that replaces them all at once.
        backfill_policy=BackfillPolicy.single_run() if partitioned else None,
    )
    def build_tables(context: AssetExecutionContext, warehouse: Warehouse):
        periods = (
            [Quarter.from_partition_key(key).key for key in context.partition_keys]
            if partitioned
            else []
        )
        whole = context.run.tags.get(FULL_REFRESH_TAG) == "true"
        # A table whose rows share its grain, and every table built from one.
        unusable: set[AssetKey] = set()
        with warehouse.connect() as connection:
            for model in models:
                if model.key not in context.selected_asset_keys:
                    continue
                if model.upstream & unusable:
                    unusable.add(model.key)
                    context.log.error(f"{model.table} is not built: a table it reads has rows "
                                      "that share its grain")  # fmt: skip
                    continue
                result = build_table(connection, model, periods, whole=whole)
                if grain_check_blocks(model) and not all(
                    c.passed for c in result.check_results if c.check_name == GRAIN_CHECK
                ):
                    unusable.add(model.key)
                yield result

    return build_tables
