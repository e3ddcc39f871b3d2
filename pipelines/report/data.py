"""What each authority's quarterly report says, read from the warehouse.

Everything here is a query of the marts, the fact table and the findings; the
report adds no judgement of its own. A quarter's reports are read together: one
query per table for every authority of the quarter, split by authority in
Polars, so a run writing 400 authorities' reports asks the warehouse nine
questions (which authorities, then the eight tables), not a dozen per
authority. The answers are kept as frames until an authority's report is laid
out, when its rows become plain dictionaries for the HTML and the workbook: the
processes writing the reports are sent frames, and each makes the dictionaries
of its own share.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import polars as pl

from pipelines.quarters import Quarter

# The three published tables: mart, its categories (column, label), and what the
# summary sentence counts as the headline share.
SUMMARY_TABLES = {
    "performance": (
        "mart_priority_performance",
        (("met", "Target met"), ("within", "Within 5% of target"), ("not_met", "Target not met")),
    ),
    "trend": (
        "mart_priority_trend",
        (("improved", "Improved"), ("worse", "Worse"), ("same", "The same")),
    ),
    "quartiles": (
        "mart_quartile_distribution",
        (("q1", "1st quartile (best)"), ("q2", "2nd quartile"), ("q3", "3rd quartile"),
         ("q4", "4th quartile (worst)")),
    ),
}  # fmt: skip

# Every table the queries below read, by schema and name: the report asset's
# upstream tables in Dagster (assets/quarterly_reports.py). A test runs the queries
# and holds this to the tables they read, so a query of a new table adds it here.
TABLES_READ = (
    ("marts", "dim_priorities"),
    ("marts", "fct_indicator_observations"),
    ("marts", "fct_milestone_progress"),
    ("marts", "mart_objective_progress"),
    *(("marts", mart) for mart, _ in SUMMARY_TABLES.values()),
    ("quality", "dq_flags"),
)

# A financial year's quarters, as the scorecard query's columns number them.
QUARTER_NUMBERS = (1, 2, 3, 4)

# Objective and milestone references sorted as a person counts them: the
# letters, then each number as a number (P2 before P10, P1.2 before P1.10).
NATURAL_ORDER = (
    "regexp_replace({column}, '[0-9]+', '', 'g'), "
    "cast(regexp_extract_all({column}, '[0-9]+') as integer[]), {column}"
)


@dataclass
class QuarterlyReportData:
    authority: str
    quarter: Quarter
    priority_names: dict[int, str]
    tables: dict[str, list[dict]]  # by SUMMARY_TABLES key: a row per priority, total last
    tables_year_earlier: dict[str, dict | None]  # the total rows a year earlier, if held
    scorecard: list[dict]  # a row per indicator, by priority, tier 1 then 2
    findings: list[dict] = field(default_factory=list)
    objective_progress: list[dict] = field(default_factory=list)  # by department, objective
    milestones: list[dict] = field(default_factory=list)  # a row per milestone, by objective

    @property
    def reporting_period(self) -> str:
        return self.quarter.key

    @property
    def year_earlier_period(self) -> str:
        return self.quarter.year_earlier().key


def authorities_with_period(connection: duckdb.DuckDBPyConnection, period: str) -> list[str]:
    return [
        authority
        for (authority,) in connection.sql(
            "select authority from marts.mart_priority_performance where reporting_period = $p "
            "union select authority from marts.mart_objective_progress where reporting_period = $p "
            "order by authority",
            params={"p": period},
        ).fetchall()
    ]


def _read(connection: duckdb.DuckDBPyConnection, query: str, params: dict) -> pl.DataFrame:
    return connection.sql(query, params=params).pl()


def _rows_by_authority(frame: pl.DataFrame) -> dict[str, list[dict]]:
    """The frame's rows (in its order) as dictionaries, split by their authority column."""
    return {
        authority: rows.to_dicts()
        for (authority,), rows in frame.partition_by(
            "authority", as_dict=True, maintain_order=True
        ).items()
    }


@dataclass
class QuarterTables:
    """A quarter's report figures for some authorities, as read: a frame per query, rows
    in the report's order. A frame is cheap to split by authority and to send to another
    process (Arrow columns, not a dictionary per row); `reports()` turns each
    authority's rows into the dictionaries the page and the workbook lay out."""

    quarter: Quarter
    authorities: list[str]
    frames: dict[str, pl.DataFrame]

    def shares(self, count: int) -> list[QuarterTables]:
        """The authorities in at most `count` runs of consecutive ones, each with its rows."""
        size = max(1, -(-len(self.authorities) // count))
        return [
            QuarterTables(
                self.quarter,
                group,
                {
                    name: frame.filter(pl.col("authority").is_in(group))
                    for name, frame in self.frames.items()
                },
            )
            for group in (
                self.authorities[start : start + size]
                for start in range(0, len(self.authorities), size)
            )
        ]

    def reports(self) -> list[QuarterlyReportData]:
        """Each authority's report data, in the order of `authorities`."""
        period = self.quarter.key
        tables, earlier = {}, {}
        for key in SUMMARY_TABLES:
            rows = _rows_by_authority(self.frames[key])
            # The quarter's rows first, then the total a year earlier where held.
            tables[key] = {
                a: [r for r in rs if r["reporting_period"] == period] for a, rs in rows.items()
            }
            earlier[key] = {
                a: rs[-1] for a, rs in rows.items() if rs[-1]["reporting_period"] != period
            }
        names = {
            authority: {row["priority_number"]: row["priority_name"] for row in rows}
            for authority, rows in _rows_by_authority(self.frames["priority_names"]).items()
        }
        quarters = [q.key for q in self.quarter.year_to_date()]
        scorecards = _rows_by_authority(self.frames["scorecard"])
        for rows in scorecards.values():
            for row in rows:
                values = [row.pop(f"value_{number}") for number in QUARTER_NUMBERS]
                notes = [row.pop(f"note_{number}") for number in QUARTER_NUMBERS]
                # A quarter's number, or the note its cell held instead (`To be reported in Q3`).
                row["quarters"] = [
                    note if value is None else value
                    for value, note in zip(values, notes, strict=True)
                ][: len(quarters)]
        findings = _rows_by_authority(self.frames["findings"])
        objective_progress = _rows_by_authority(self.frames["objective_progress"])
        milestones = _rows_by_authority(self.frames["milestones"])
        return [
            QuarterlyReportData(
                authority=authority,
                quarter=self.quarter,
                priority_names=names.get(authority, {}),
                tables={key: tables[key].get(authority, []) for key in SUMMARY_TABLES},
                tables_year_earlier={key: earlier[key].get(authority) for key in SUMMARY_TABLES},
                scorecard=scorecards.get(authority, []),
                findings=findings.get(authority, []),
                objective_progress=objective_progress.get(authority, []),
                milestones=milestones.get(authority, []),
            )
            for authority in self.authorities
        ]


def load(connection: duckdb.DuckDBPyConnection, authority: str, period: str) -> QuarterlyReportData:
    """One authority's report data for the reporting period (`2024-25 Q2`)."""
    (data,) = load_quarter(connection, period, [authority])
    return data


def load_quarter(
    connection: duckdb.DuckDBPyConnection, period: str, authorities: list[str] | None = None
) -> list[QuarterlyReportData]:
    """The report data of every authority with figures for the period (or of those named),
    by authority: each table is read once for all of them."""
    return read_quarter(connection, period, authorities).reports()


def read_quarter(
    connection: duckdb.DuckDBPyConnection, period: str, authorities: list[str] | None = None
) -> QuarterTables:
    """The figures of every authority with figures for the period (or of those named):
    a query per table for all of them."""
    if authorities is None:
        authorities = authorities_with_period(connection, period)
    quarter = Quarter.parse(period)
    year_earlier = quarter.year_earlier().key
    quarters = [q.key for q in quarter.year_to_date()]
    params = {"authorities": authorities, "period": period}

    frames = {
        key: _read(
            connection,
            f"select * from marts.{mart} where list_contains($authorities, authority) "
            "and (reporting_period = $period or reporting_period = $year_earlier "
            "and priority is null) "
            "order by authority, reporting_period <> $period, priority nulls last",
            params | {"year_earlier": year_earlier},
        )
        for key, (mart, _) in SUMMARY_TABLES.items()
    }
    frames["priority_names"] = _read(
        connection,
        "select authority, priority_number, priority_name from marts.dim_priorities "
        "where list_contains($authorities, authority) and priority_name is not null",
        {"authorities": authorities},
    )
    frames["scorecard"] = _read(
        connection,
        """
        -- The year's quarters so far, a column each (a quarter past $quarters is null):
        -- plain columns, where lists of structs took most of the query's time.
        with quarters as (
            select
                authority, ref,
                any_value(value) filter (where period_key = $quarters[1]) as value_1,
                any_value(value) filter (where period_key = $quarters[2]) as value_2,
                any_value(value) filter (where period_key = $quarters[3]) as value_3,
                any_value(value) filter (where period_key = $quarters[4]) as value_4,
                any_value(value_note) filter (where period_key = $quarters[1]) as note_1,
                any_value(value_note) filter (where period_key = $quarters[2]) as note_2,
                any_value(value_note) filter (where period_key = $quarters[3]) as note_3,
                any_value(value_note) filter (where period_key = $quarters[4]) as note_4
            from marts.fct_indicator_observations
            where list_contains($authorities, authority) and period_type = 'quarter'
              and list_contains($quarters, period_key)
            group by authority, ref
        ),
        last_outturn as (
            select authority, ref, value as last_year_outturn
            from marts.fct_indicator_observations
            where list_contains($authorities, authority) and period_key = $last_year_end
        )
        select
            now.authority, now.priority_number, now.tier, now.ref, now.indicator,
            now.frequency, now.polarity, last_outturn.last_year_outturn, now.annual_target,
            -- The committee's report is the period as published: judged on the period's
            -- own returns, as the summary tables beside it count.
            now.published_period_target as period_target,
            now.published_period_target_basis as period_target_basis,
            now.published_value_as_at as value_as_at,
            now.published_value_as_at_period_key as value_as_at_period_key,
            coalesce(now.published_value_as_at_period_key <> now.period_key, false) as is_lagged,
            now.published_variance_pct as variance_pct,
            now.published_performance_status as performance_status,
            now.published_trend as trend, now.published_trend_basis as trend_basis,
            now.comparative_quartile, now.comparator_period, now.commentary,
            quarters.value_1, quarters.value_2, quarters.value_3, quarters.value_4,
            quarters.note_1, quarters.note_2, quarters.note_3, quarters.note_4
        from marts.fct_indicator_observations as now
        left join quarters using (authority, ref)
        left join last_outturn using (authority, ref)
        where list_contains($authorities, now.authority) and now.period_key = $period
          and now.in_return_for_period
        order by now.authority, now.priority_number, coalesce(now.tier, 3), now.ref
        """,
        params | {"quarters": quarters, "last_year_end": quarter.year_earlier().year_end().key},
    )
    frames["findings"] = _read(
        connection,
        "select authority, severity, priority_number, ref, check_name, message, "
        "source_file_path, source_row_number from quality.dq_flags "
        "where list_contains($authorities, authority) and reporting_period = $period "
        "order by authority, case severity when 'ERROR' then 0 when 'WARN' then 1 else 2 end, "
        "priority_number, ref, check_name, source_file_path, source_row_number, message",
        params,
    )
    frames["objective_progress"] = _read(
        connection,
        "select * from marts.mart_objective_progress "
        "where list_contains($authorities, authority) and reporting_period = $period "
        "order by authority, summary_level = 'total', department nulls last, "
        f"objective_ref is null, {NATURAL_ORDER.format(column='objective_ref')}",
        params,
    )
    frames["milestones"] = _read(
        connection,
        "select authority, department, objective_ref, milestone_ref, milestone, progress, "
        "commentary from marts.fct_milestone_progress "
        "where list_contains($authorities, authority) and reporting_period = $period "
        "order by authority, department nulls last, "
        f"{NATURAL_ORDER.format(column='objective_ref')}, "
        f"{NATURAL_ORDER.format(column='milestone_ref')}",
        params,
    )
    return QuarterTables(quarter, authorities, frames)
