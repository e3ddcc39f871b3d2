"""The audit trail: every state of the fact's figures, kept for good.

Each run appends to `audit.observation_history` the indicators' periods whose
value, targets or status are new or differ from their last recorded state
(the SELECT is sql/audit/increments/observation_history.sql), with the return
they came from. The history is never rewritten, so a corrected return, or a
later return revising a quarter, leaves the old figures and the files they came
from on record; `audit.observation_changes` (sql/audit/) lists the changes.
"""

import datetime as dt

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from pipelines.paths import SQL_DIR
from pipelines.resources import Warehouse, fetch_row

OBSERVATION_HISTORY = AssetKey(["audit", "observation_history"])
FACT_TABLE = AssetKey(["marts", "fct_indicator_observations"])

HISTORY_DDL = """
create schema if not exists audit;
create table if not exists audit.observation_history (
    run_id varchar not null,
    recorded_at timestamp not null,
    authority varchar not null,
    ref varchar not null,
    period_key varchar not null,
    value double,
    annual_target double,
    period_target double,
    performance_status varchar,
    source_reporting_period varchar,
    source_file_path varchar,
    source_file_hash varchar,
    source_row_number integer,
    left_the_fact boolean not null
);
"""


@asset(
    key=OBSERVATION_HISTORY,
    deps=[FACT_TABLE],
    group_name="audit",
    description="Every state of each indicator period's value, targets and status, appended "
    "whenever they change, with the run and the return they came from. Never rewritten. "
    "Grain: authority, ref, period_key, recorded_at.",
    kinds={"duckdb", "sql"},
)
def observation_history(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    increment = (SQL_DIR / "audit" / "increments" / "observation_history.sql").read_text()
    recorded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with warehouse.connect() as connection:
        connection.execute(HISTORY_DDL)
        (before,) = fetch_row(connection, "select count(*) from audit.observation_history")
        connection.execute(
            f"insert into audit.observation_history by name {increment}",
            {"run_id": context.run.run_id, "recorded_at": recorded_at},
        )
        (after,) = fetch_row(connection, "select count(*) from audit.observation_history")
    return MaterializeResult(
        metadata={"states_recorded_this_run": after - before, "dagster/row_count": after}
    )
