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
from pipelines.sql_models.checks import check_grain, model_check_specs
from pipelines.sql_models.model_files import read_sql_model

OBSERVATION_HISTORY = AssetKey(["audit", "observation_history"])
# Its lineage and grain are the increment's: the tables its SELECT reads, the grain its
# header states, checked after every append like any model's.
INCREMENT = read_sql_model(SQL_DIR / "audit" / "increments" / "observation_history.sql", "audit")

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
    deps=sorted(INCREMENT.upstream - {OBSERVATION_HISTORY}, key=AssetKey.to_user_string),
    check_specs=model_check_specs(INCREMENT),
    group_name="audit",
    description="Every state of each indicator period's value, targets and status, appended "
    "whenever they change, with the run and the return they came from. Never rewritten.",
    kinds={"duckdb", "sql"},
)
def observation_history(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    recorded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with warehouse.connect() as connection:
        connection.execute(HISTORY_DDL)
        (before,) = fetch_row(connection, "select count(*) from audit.observation_history")
        connection.execute(
            f"insert into audit.observation_history by name {INCREMENT.sql}",
            {"run_id": context.run.run_id, "recorded_at": recorded_at},
        )
        (after,) = fetch_row(connection, "select count(*) from audit.observation_history")
        grain = check_grain(connection, INCREMENT)
    return MaterializeResult(
        metadata={"states_recorded_this_run": after - before, "dagster/row_count": after},
        check_results=[grain],
    )
