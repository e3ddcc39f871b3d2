"""What one authority's quarterly report says, read from the warehouse.

Everything here is a query of the marts, the fact table and the findings; the
report adds no judgement of its own. Rows come back as plain dictionaries for
the HTML and the workbook to lay out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from pipelines.partitions import partition_key, reporting_period

# The three published tables: mart, its categories (column, label), and what the
# summary sentence counts as the headline share.
SUMMARY_TABLES = {
    "performance": (
        "mart_priority_performance",
        (("met", "Target met"), ("within", "Within 95% of target"), ("not_met", "Target not met")),
    ),
    "trend": (
        "mart_priority_trend",
        (("improved", "Improved"), ("worse", "Worse"), ("same", "The same")),
    ),
    "quartiles": (
        "mart_quartile_distribution",
        (("q1", "1st quartile"), ("q2", "2nd quartile"), ("q3", "3rd quartile"),
         ("q4", "4th quartile")),
    ),
}  # fmt: skip


@dataclass
class QuarterlyReportData:
    authority: str
    reporting_period: str
    year_earlier_period: str
    priority_names: dict[int, str]
    tables: dict[str, list[dict]]  # by SUMMARY_TABLES key: a row per priority, total last
    tables_year_earlier: dict[str, dict | None]  # the total rows a year earlier, if held
    scorecard: list[dict]  # a row per indicator, by priority, tier 1 then 2
    quarters_so_far: list[str]  # the quarter keys of the year up to the period
    findings: list[dict] = field(default_factory=list)
    objective_progress: list[dict] = field(default_factory=list)  # by department, objective
    milestones: list[dict] = field(default_factory=list)  # a row per milestone, by objective


def _rows(connection: duckdb.DuckDBPyConnection, query: str, params: list) -> list[dict]:
    relation = connection.sql(query, params=params)
    return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def authorities_with_period(connection: duckdb.DuckDBPyConnection, period: str) -> list[str]:
    return [
        authority
        for (authority,) in connection.sql(
            "SELECT authority FROM marts.mart_priority_performance WHERE reporting_period = $p "
            "UNION SELECT authority FROM marts.mart_objective_progress WHERE reporting_period = $p "
            "ORDER BY authority",
            params={"p": period},
        ).fetchall()
    ]


def load(connection: duckdb.DuckDBPyConnection, authority: str, period: str) -> QuarterlyReportData:
    year, quarter = int(period[:4]), int(period[-1])
    year_earlier = reporting_period(partition_key(year - 1, quarter))
    tables, earlier = {}, {}
    for key, (mart, _) in SUMMARY_TABLES.items():
        tables[key] = _rows(
            connection,
            f"SELECT * FROM marts.{mart} WHERE authority = ? AND reporting_period = ? "
            "ORDER BY priority NULLS LAST",
            [authority, period],
        )
        totals = _rows(
            connection,
            f"SELECT * FROM marts.{mart} WHERE authority = ? AND reporting_period = ? "
            "AND priority IS NULL",
            [authority, year_earlier],
        )
        earlier[key] = totals[0] if totals else None
    names = dict(
        connection.sql(
            "SELECT priority_number, priority_name FROM marts.dim_priorities WHERE authority = ?",
            params=[authority],
        ).fetchall()
    )
    quarters = [reporting_period(partition_key(year, q)) for q in range(1, quarter + 1)]
    scorecard = _rows(
        connection,
        """
        WITH quarters AS (
            SELECT ref,
                   list({'value': value, 'note': value_note} ORDER BY period_end) AS cells,
                   list(period_key ORDER BY period_end) AS keys
            FROM marts.fct_indicator_observations
            WHERE authority = ? AND period_type = 'quarter' AND list_contains(?, period_key)
            GROUP BY ref
        ),
        last_outturn AS (
            SELECT ref, value AS last_year_outturn
            FROM marts.fct_indicator_observations
            WHERE authority = ? AND period_key = ?
        )
        SELECT
            now.priority_number, now.tier, now.ref, now.indicator, now.frequency,
            now.polarity, last_outturn.last_year_outturn, now.annual_target,
            now.period_target, now.value_as_at, now.is_lagged, now.variance_pct,
            now.performance_status, now.trend, now.trend_basis,
            now.comparative_quartile, now.comparator_period, now.commentary,
            quarters.cells AS quarter_cells, quarters.keys AS quarter_keys
        FROM marts.fct_indicator_observations AS now
        LEFT JOIN quarters USING (ref)
        LEFT JOIN last_outturn USING (ref)
        WHERE now.authority = ? AND now.period_key = ? AND now.in_return_for_period
        ORDER BY now.priority_number, coalesce(now.tier, 3), now.ref
        """,
        [authority, quarters, authority, f"{year - 1}-{year % 100:02d} Q4", authority, period],
    )
    for row in scorecard:
        by_key = dict(
            zip(row.pop("quarter_keys") or [], row.pop("quarter_cells") or [], strict=True)
        )
        # A quarter's number, or the note its cell held instead (`To be reported in Q3`).
        row["quarters"] = [
            None if key not in by_key else by_key[key]["value"] if by_key[key]["value"] is not None
            else by_key[key]["note"]
            for key in quarters
        ]  # fmt: skip
    findings = _rows(
        connection,
        "SELECT severity, priority_number, ref, check_name, message, source_file_path, "
        "source_row_number FROM quality.dq_flags WHERE authority = ? AND reporting_period = ? "
        "ORDER BY CASE severity WHEN 'ERROR' THEN 0 WHEN 'WARN' THEN 1 ELSE 2 END, "
        "priority_number, ref",
        [authority, period],
    )
    objective_progress = _rows(
        connection,
        "SELECT * FROM marts.mart_objective_progress WHERE authority = ? AND reporting_period = ? "
        "ORDER BY summary_level = 'total', department NULLS LAST, objective_ref NULLS LAST",
        [authority, period],
    )
    milestones = _rows(
        connection,
        "SELECT department, objective_ref, milestone_ref, milestone, progress, commentary "
        "FROM marts.fct_milestone_progress WHERE authority = ? AND reporting_period = ? "
        "ORDER BY department NULLS LAST, objective_ref, milestone_ref",
        [authority, period],
    )
    return QuarterlyReportData(
        authority=authority,
        reporting_period=period,
        year_earlier_period=year_earlier,
        priority_names=names,
        tables=tables,
        tables_year_earlier=earlier,
        scorecard=scorecard,
        quarters_so_far=quarters,
        findings=findings,
        objective_progress=objective_progress,
        milestones=milestones,
    )
