"""Step 7, publish: the built warehouse replaces the published one, in one atomic swap.

This asset sits downstream of every table the run builds, so Dagster runs it
only when all of them were built and none of their blocking checks failed
(the row count at the gate, each model's grain, each suite's critical
expectations). Otherwise it is skipped: analysts keep the last published
warehouse, and the build file still records everything that arrived, raw and
quarantined.
"""

from dagster import AssetKey, AssetsDefinition, MaterializeResult, asset

from pipelines.resources import Warehouse

PUBLISHED_WAREHOUSE = AssetKey(["published_warehouse"])


def build_publish_asset(upstream: list[AssetKey]) -> AssetsDefinition:
    @asset(
        key=PUBLISHED_WAREHOUSE,
        deps=upstream,
        group_name="publish",
        description="The warehouse analysts read: the run's build, swapped in atomically once "
        "every table is built and no blocking check failed.",
        kinds={"duckdb"},
    )
    def published_warehouse(warehouse: Warehouse) -> MaterializeResult:
        warehouse.publish()
        return MaterializeResult(
            metadata={
                "path": str(warehouse.published_path),
                "bytes": warehouse.published_path.stat().st_size,
            }
        )

    return published_warehouse
