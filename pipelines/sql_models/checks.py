"""The checks on each model's table, run right after it is built.

Every model's grain is a check that no two rows share it, and blocks: a table
whose rows share its grain is wrong, and nothing that reads it is built. A check
model also gets a check that shows its findings in Dagster: passed when it found
nothing, otherwise failed with the severity of its worst finding and the counts
by severity. Nothing about findings blocks: a finding is for people to act on and
the tables are still right, and even two findings sharing the grain (a fault in a
check model, not in the tables) are a warning.
"""

import duckdb
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec

from pipelines.sql_models.findings import is_findings_model, is_findings_table
from pipelines.sql_models.model import SqlModel

GRAIN_CHECK = "grain_is_unique"
FINDINGS_CHECK = "found_nothing"


def model_check_specs(model: SqlModel) -> list[AssetCheckSpec]:
    specs = [
        AssetCheckSpec(
            GRAIN_CHECK,
            asset=model.key,
            blocking=grain_check_blocks(model),
            description=f"No two rows of {model.table} share its grain ({', '.join(model.grain)}).",
        )
    ]
    if is_findings_model(model):
        specs.append(
            AssetCheckSpec(
                FINDINGS_CHECK,
                asset=model.key,
                blocking=False,
                description=f"{model.description.splitlines()[0]} "
                "Passes when there are no findings.",
            )
        )
    return specs


def check_grain(
    connection: duckdb.DuckDBPyConnection, model: SqlModel, rebuilt: list[str | int] | None = None
) -> AssetCheckResult:
    """No two rows share the model's grain; of an incremental model, among the rows this
    run rebuilt (`rebuilt`: the files, periods or years, None for all): the grain holds the
    column it is rebuilt by, and the other rows passed when they were built, since a
    failed check makes the next build whole (tables.py)."""
    grain = ", ".join(model.grain)
    rows = model.table
    if rebuilt is not None and model.incremental_by in model.grain:
        rows = f"(from {model.table} where list_contains($rebuilt, {model.incremental_by}))"
    duplicates = connection.execute(
        f"select {grain}, count(*) as n_rows from {rows} "
        "group by all having count(*) > 1 order by n_rows desc limit 5",
        {"rebuilt": rebuilt} if rows != model.table else {},
    ).fetchall()
    return AssetCheckResult(
        asset_key=model.key,
        check_name=GRAIN_CHECK,
        passed=not duplicates,
        severity=AssetCheckSeverity.ERROR if grain_check_blocks(model) else AssetCheckSeverity.WARN,
        metadata={"example_duplicates": str(duplicates), "grain": grain},
    )


def grain_check_blocks(model: SqlModel) -> bool:
    """Rows sharing a grain make a table wrong, except findings: a repeated finding is a
    fault in a check model to fix, never a reason to stop publication."""
    return not (is_findings_model(model) or is_findings_table(model))


def check_findings(connection: duckdb.DuckDBPyConnection, model: SqlModel) -> AssetCheckResult:
    by_severity = dict(
        connection.sql(f"select severity, count(*) from {model.table} group by severity").fetchall()
    )
    return AssetCheckResult(
        asset_key=model.key,
        check_name=FINDINGS_CHECK,
        passed=not by_severity,
        severity=AssetCheckSeverity.ERROR if "ERROR" in by_severity else AssetCheckSeverity.WARN,
        metadata={f"findings_{s.lower()}": n for s, n in sorted(by_severity.items())}
        | {"findings": sum(by_severity.values())},
    )
