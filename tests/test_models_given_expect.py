"""Unit tests of the models that unpivot a return's cells to periods, decide which return
wins, say what value stands as at a period and count the summaries, in the style of dbt's
unit tests: given a few input rows, each model's SQL is run alone in an in-memory DuckDB
with the rule macros, and its rows are compared with the rows expected, in the columns
the test names. The rows are St Helens' where the sample returns hold them (data/raw/,
from the council's reports); a test says where it changes one to show a rule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import polars as pl
import pytest
from sqlglot import exp, parse_one

from pipelines.quarters import Quarter
from pipelines.resources import load_rule_macros
from pipelines.sql_models.model import SqlModel
from tests.conftest import project_sql_models

MODELS = {model.table: model for model in project_sql_models()}


def columns_read(model: SqlModel) -> set[str]:
    """The columns the model names, less those it makes itself (its aliases)."""
    query = parse_one(model.sql, read="duckdb")
    made = {alias.alias for alias in query.find_all(exp.Alias)}
    return {column.name for column in query.find_all(exp.Column)} - made


def run_model(table: str, given: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The model's rows, given these rows of the tables it reads. A column the model reads
    that no given rows hold is NULL in each table, as dbt's unit tests fill it."""
    model = MODELS[table]
    frames = {input_table: pl.DataFrame(rows) for input_table, rows in given.items()}
    # A column one table is given is not added to the others, where it would shadow it.
    given_anywhere = {column for frame in frames.values() for column in frame.columns}
    missing = sorted(columns_read(model) - given_anywhere)
    with duckdb.connect() as connection:
        load_rule_macros(connection)
        for input_table, given_frame in frames.items():
            frame = given_frame.with_columns(pl.lit(None, pl.Utf8).alias(c) for c in missing)
            schema = input_table.split(".")[0]
            connection.execute(f"create schema if not exists {schema}")
            connection.register("given_rows", frame)
            connection.execute(f"create table {input_table} as select * from given_rows")
            connection.unregister("given_rows")
        relation = connection.sql(model.sql)
        return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def expect(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    """The actual rows, in the expected rows' columns, are the expected rows, in any order."""
    columns = list(expected[0])
    got = sorted((tuple(row[c] for c in columns) for row in actual), key=repr)
    want = sorted((tuple(row[c] for c in columns) for row in expected), key=repr)
    assert got == want


LOADED = dt.datetime(2024, 10, 1, 9, 0)
LATER = dt.datetime(2024, 10, 2, 9, 0)


def current_file(path: str, file_order: int) -> dict[str, Any]:
    return {"file_path": path, "file_hash": f"hash of {path}", "file_order": file_order}


def indicator_row(path: str, year: int, quarter: int, ref: str = "CYP-006") -> dict[str, Any]:
    return {
        "authority": "Testshire", "file_path": path, "file_hash": f"hash of {path}",
        "row_number": 2, "financial_year_start": year, "reporting_quarter": quarter, "ref": ref,
    }  # fmt: skip


# --- Which return wins --------------------------------------------------------------------


def test_file_order_puts_the_later_load_then_the_path_last() -> None:
    def scanned(path: str, loaded_at: dt.datetime) -> tuple[dict[str, Any], dict[str, Any]]:
        file = {"file_path": path, "file_hash": f"hash of {path}"}
        return file | {"scanned_at": LATER}, file | {"loaded_at": loaded_at}

    files = [scanned("q2/b.csv", LOADED), scanned("q2/a.csv", LOADED),
             scanned("q1/late.csv", LATER), scanned("q2/resent.csv", LATER)]  # fmt: skip
    rows = run_model(
        "staging.stg_current_return_files",
        {
            "raw.folder_scans": [scan for scan, _ in files],
            "raw.return_files": [file for _, file in files],
            "quarantine.rejected_files": [{"file_path": "none", "file_hash": "none"}],
        },
    )
    expect(
        rows,
        [
            {"file_path": "q2/a.csv", "file_order": 1},
            {"file_path": "q2/b.csv", "file_order": 2},
            {"file_path": "q1/late.csv", "file_order": 3},
            {"file_path": "q2/resent.csv", "file_order": 4},
        ],
    )


def test_return_order_puts_the_later_period_then_the_later_file_last() -> None:
    rows = run_model(
        "staging.stg_indicator_return_versions",
        {
            "staging.stg_current_return_files": [
                # Loaded first, though its name sorts last: the order is file_order's.
                current_file("q2/b.csv", 1),
                current_file("q2/a.csv", 2),
                current_file("q1/late.csv", 3),
                current_file("q2/resent.csv", 4),
            ],
            "validated.indicator_returns": [
                indicator_row("q2/b.csv", 2024, 2),
                indicator_row("q2/a.csv", 2024, 2),
                indicator_row("q1/late.csv", 2024, 1),
                indicator_row("q2/resent.csv", 2024, 2),
                # A version of a file the folder no longer holds is not current.
                indicator_row("q2/a.csv", 2024, 2) | {"file_hash": "an older version"},
            ],
            "validated.judged_files": [
                {"file_path": path, "file_hash": f"hash of {path}", "judged_at": LOADED}
                for path in ("q2/b.csv", "q2/a.csv", "q1/late.csv", "q2/resent.csv")
            ],
        },
    )
    expect(
        rows,
        [
            {"file_path": "q1/late.csv", "reporting_period": "2024-25 Q1", "return_order": 1},
            {"file_path": "q2/b.csv", "reporting_period": "2024-25 Q2", "return_order": 2},
            {"file_path": "q2/a.csv", "reporting_period": "2024-25 Q2", "return_order": 3},
            {"file_path": "q2/resent.csv", "reporting_period": "2024-25 Q2", "return_order": 4},
        ],
    )


def test_of_two_current_milestone_returns_the_later_file_gives_the_milestone() -> None:
    def milestone(path: str, progress: str) -> dict[str, Any]:
        return {"authority": "Testshire", "file_path": path, "file_hash": f"hash of {path}",
                "row_number": 2, "financial_year_start": 2024, "reporting_quarter": 2,
                "milestone_ref": "M1", "progress_text": progress}  # fmt: skip

    rows = run_model(
        "staging.stg_milestone_returns",
        {
            "staging.stg_current_return_files": [
                current_file("a-resent.csv", 2),
                current_file("z-first.csv", 1),
            ],
            "validated.milestone_returns": [
                milestone("z-first.csv", "On track"),
                milestone("a-resent.csv", "Complete"),
            ],
        },
    )
    expect(
        rows, [{"milestone_ref": "M1", "file_path": "a-resent.csv", "progress_text": "Complete"}]
    )


def test_of_two_current_comparator_returns_the_later_file_gives_a_members_value() -> None:
    def member(path: str, member_authority: str, value: float) -> dict[str, Any]:
        return {"authority": "Testshire", "file_path": path, "file_hash": f"hash of {path}",
                "row_number": 2, "financial_year_start": 2024, "reporting_quarter": 2,
                "ref": "CYP-006", "comparator_group": "CIPFA nearest neighbours",
                "comparator_period": "2022/23", "member_authority": member_authority,
                "value": value}  # fmt: skip

    rows = run_model(
        "staging.stg_comparator_returns",
        {
            "staging.stg_current_return_files": [
                # Loaded later, though its name sorts first: the order is file_order's.
                current_file("a-resent.csv", 2),
                current_file("z-first.csv", 1),
            ],
            "validated.comparator_returns": [
                member("z-first.csv", "Redshire", 71.0),
                member("a-resent.csv", "Redshire", 68.0),
                # A member the later file leaves out keeps the earlier file's value.
                member("z-first.csv", "Blueshire", 80.0),
            ],
        },
    )
    expect(
        rows,
        [
            {"member_authority": "Redshire", "file_path": "a-resent.csv", "value": 68.0},
            {"member_authority": "Blueshire", "file_path": "z-first.csv", "value": 80.0},
        ],
    )


def test_of_two_returns_as_at_one_period_the_later_gives_the_indicators_scope() -> None:
    def staged(path: str, order: int, target: float) -> dict[str, Any]:
        return {"authority": "Testshire", "reporting_period": "2024-25 Q2", "ref": "CYP-006",
                "return_order": order, "annual_target": target, "file_path": path,
                "polarity": "Lower", "measure_type": "snapshot"}  # fmt: skip

    rows = run_model(
        "intermediate.int_return_indicators",
        {"staging.stg_indicator_returns": [staged("p1.csv", 1, 125.0), staged("p2.csv", 2, 120.0)]},
    )
    expect(
        rows, [{"reporting_period": "2024-25 Q2", "file_path": "p2.csv", "annual_target": 120.0}]
    )


def cell(
    period_key: str, value: float | None, order: int, *, note: str | None = None,
    precedence: int = 1, source: str = "2024-25 Q2", period_type: str = "quarter",
    fiscal_month: int = 6, year: int = 2024, cell_name: str = "q2",
) -> dict[str, Any]:  # fmt: skip
    return {
        "authority": "Testshire", "ref": "CYP-006", "period_key": period_key,
        "period_type": period_type, "financial_year_start": year, "fiscal_month": fiscal_month,
        "period_end": dt.date(2024, 9, 30), "value": value, "note": note, "cell": cell_name,
        "cell_precedence": precedence, "source_reporting_period": source,
        "source_return_order": order, "file_path": f"return {order}.csv", "row_number": 2,
        "cell_standing": {"has_value": value is not None, "return_order": order,
                          "cell_order": -precedence},
    }  # fmt: skip


def test_the_later_return_wins_a_period_but_a_note_never_erases_a_number() -> None:
    rows = run_model(
        "intermediate.int_indicator_observations",
        {
            "intermediate.int_indicator_cells": [
                # Revised by the later return.
                cell("2024-25 Q1", 130.0, 1, cell_name="q1"),
                cell("2024-25 Q1", 131.5, 2, cell_name="q1"),
                # The later return writes 'N/A' over a value already reported.
                cell("2024-25 Q2", 124.9, 1),
                cell("2024-25 Q2", None, 2, note="N/A"),
                # Within one return, the quarter column beats the month that ends it.
                cell("2024-25 Q3", 120.0, 3, cell_name="q3"),
                cell("2024-25 Q3", 119.0, 3, precedence=2, cell_name="dec"),
            ]
        },
    )
    expect(
        rows,
        [
            {"period_key": "2024-25 Q1", "value": 131.5, "source_file_path": "return 2.csv"},
            {"period_key": "2024-25 Q2", "value": 124.9, "source_file_path": "return 1.csv"},
            {"period_key": "2024-25 Q3", "value": 120.0, "source_file_path": "return 3.csv"},
        ],
    )


# --- What value stands as at a period -----------------------------------------------------


def observation(period_key: str, fiscal_month: int, value: float | None, **more: Any) -> dict:
    ends = {3: dt.date(2024, 6, 30), 5: dt.date(2024, 8, 31), 6: dt.date(2024, 9, 30),
            9: dt.date(2024, 12, 31), 12: dt.date(2025, 3, 31)}  # fmt: skip
    return {
        "authority": "Testshire", "ref": "CYP-006", "period_key": period_key,
        "period_type": "month" if "-" in period_key[5:] else "quarter",
        "financial_year_start": 2024, "fiscal_month": fiscal_month,
        "period_end": ends[fiscal_month], "value": value,
    } | more  # fmt: skip


def test_a_lagged_quarter_stands_at_the_last_value_of_its_year() -> None:
    rows = run_model(
        "intermediate.int_indicator_values_as_at",
        {
            "intermediate.int_indicator_observations": [
                observation("2024-25 Q1", 3, 132.2),
                observation("2024-25 Q2", 6, None, note="To be reported in Q3"),
                observation("2024-08", 5, 128.0),
            ],
            # The Q3 return is as at Q3 and leaves Q3 blank: a row with nothing of its own.
            "intermediate.int_return_indicators": [
                {
                    "authority": "Testshire",
                    "ref": "CYP-006",
                    "reporting_period": "2024-25 Q3",
                    "financial_year_start": 2024,
                    "reporting_quarter": 3,
                    "reporting_period_end": dt.date(2024, 12, 31),
                },
            ],
        },
    )
    expect(
        rows,
        [
            {
                "period_key": "2024-25 Q1",
                "value_as_at": 132.2,
                "value_as_at_period_key": "2024-25 Q1",
            },
            {"period_key": "2024-08", "value_as_at": 128.0, "value_as_at_period_key": "2024-08"},
            {"period_key": "2024-25 Q2", "value_as_at": 128.0, "value_as_at_period_key": "2024-08"},
            {"period_key": "2024-25 Q3", "value_as_at": 128.0, "value_as_at_period_key": "2024-08"},
        ],
    )


@pytest.fixture
def published_given() -> dict[str, list[dict[str, Any]]]:
    """The 2024-25 Q2 return says Q2 is 'To be reported in Q3' and Q1 was 130; the Q3
    return fills Q2 with 118 and revises Q1 to 131. Last year's outturn was 140 in its own
    Q4 return, and the Q2 return's previous_outturn restates it as 141."""
    q2, q3 = "2024-25 Q2", "2024-25 Q3"
    return {
        "intermediate.int_return_indicators": [
            {
                "authority": "Testshire",
                "ref": "CYP-006",
                "reporting_period": period,
                "financial_year_start": 2024,
                "reporting_period_end": end,
            }
            for period, end in ((q2, dt.date(2024, 9, 30)), (q3, dt.date(2024, 12, 31)))
        ],
        "intermediate.int_indicator_cells": [
            cell("2024-25 Q1", 130.0, 1, source=q2, fiscal_month=3, cell_name="q1")
            | {"period_end": dt.date(2024, 6, 30)},
            cell("2024-25 Q2", None, 1, source=q2, note="To be reported in Q3"),
            cell(
                "2023-24 Q4",
                141.0,
                1,
                source=q2,
                fiscal_month=12,
                year=2023,
                cell_name="previous_outturn",
            )
            | {"period_end": dt.date(2024, 3, 31)},
            cell(
                "2023-24 Q4",
                140.0,
                0,
                source="2023-24 Q4",
                fiscal_month=12,
                year=2023,
                cell_name="q4",
            )
            | {"period_end": dt.date(2024, 3, 31)},
            cell("2024-25 Q1", 131.0, 2, source=q3, fiscal_month=3, cell_name="q1")
            | {"period_end": dt.date(2024, 6, 30)},
            cell("2024-25 Q2", 118.0, 2, source=q3),
        ],
    }


def test_a_period_as_published_stands_on_its_own_returns_only(published_given) -> None:
    rows = run_model("intermediate.int_indicator_values_as_published", published_given)
    expect(
        rows,
        [
            # Q2 as published: lagged on its own Q1 figure, whatever Q3 said later.
            {
                "reporting_period": "2024-25 Q2",
                "value_as_at": 130.0,
                "value_as_at_period_key": "2024-25 Q1",
                "value_year_earlier_known": None,
            },
            # Q3 as published: the Q2 value its own return gives.
            {
                "reporting_period": "2024-25 Q3",
                "value_as_at": 118.0,
                "value_as_at_period_key": "2024-25 Q2",
                "value_year_earlier_known": None,
            },
        ],
    )


# --- Cells unpivoted to periods -----------------------------------------------------------

RETURN_CELLS = ("previous_outturn", "q1", "q2", "q3", "q4", "outturn", "apr", "may", "jun",
                "jul", "aug", "sep", "oct", "nov", "dec", "jan", "feb", "mar")  # fmt: skip


def staged_return_row(year: int, quarter: int, ref: str, **cells: float | str) -> dict[str, Any]:
    """A row of staging.stg_indicator_returns: each cell given as a number is its value,
    as text its note (as the gate reads `N/A` or `-`); every other cell blank."""
    row: dict[str, Any] = {
        "authority": "St Helens", "ref": ref, "financial_year_start": year,
        "reporting_quarter": quarter, "reporting_period": Quarter(year, quarter).key,
        "return_order": 1, "file_path": "priority-1.csv",
        "file_hash": "hash of priority-1.csv", "sheet": None, "row_number": 2,
    }  # fmt: skip
    for name in RETURN_CELLS:
        given = cells.get(name)
        row[name] = float(given) if isinstance(given, int | float) else None
        row[f"{name}_note"] = given if isinstance(given, str) else None
    return row


def test_each_cell_holding_a_number_or_a_note_is_a_row_for_the_period_it_reports() -> None:
    # St Helens' 2021-22 Outturn return, CYP-05 (early help audits graded good or better):
    # previous outturn 'N/A', Q1 '-', Q2 4, Q3 10, Q4 blank, outturn 10.
    rows = run_model(
        "intermediate.int_indicator_cells",
        {
            "staging.stg_indicator_returns": [
                staged_return_row(
                    2021, 4, "CYP-05", previous_outturn="N/A", q1="-", q2=4, q3=10, outturn=10
                )
            ]
        },
    )
    expect(
        rows,
        [
            # Last financial year's Q4, kept for its note alone.
            {"period_key": "2020-21 Q4", "cell": "previous_outturn", "value": None,
             "note": "N/A", "cell_precedence": 1, "source_reporting_period": "2021-22 Q4"},
            {"period_key": "2021-22 Q1", "cell": "q1", "value": None, "note": "-",
             "cell_precedence": 1, "source_reporting_period": "2021-22 Q4"},
            {"period_key": "2021-22 Q2", "cell": "q2", "value": 4.0, "note": None,
             "cell_precedence": 1, "source_reporting_period": "2021-22 Q4"},
            {"period_key": "2021-22 Q3", "cell": "q3", "value": 10.0, "note": None,
             "cell_precedence": 1, "source_reporting_period": "2021-22 Q4"},
            # Q4 is blank, so no row of its own: the outturn stands for it, ranked last.
            {"period_key": "2021-22 Q4", "cell": "outturn", "value": 10.0, "note": None,
             "cell_precedence": 3, "source_reporting_period": "2021-22 Q4"},
        ],
    )  # fmt: skip


def test_a_month_cell_is_its_month_and_stands_for_its_quarter_after_the_quarter_cell() -> None:
    # CYP-002 as St Helens returned it for 2024-25 Q2 (87), with the September column a
    # monthly return would add.
    rows = run_model(
        "intermediate.int_indicator_cells",
        {"staging.stg_indicator_returns": [staged_return_row(2024, 2, "CYP-002", q2=87, sep=86)]},
    )
    expect(
        rows,
        [
            {"period_key": "2024-25 Q2", "period_type": "quarter", "cell": "q2",
             "value": 87.0, "cell_precedence": 1, "period_end": dt.date(2024, 9, 30)},
            {"period_key": "2024-25 Q2", "period_type": "quarter", "cell": "sep",
             "value": 86.0, "cell_precedence": 2, "period_end": dt.date(2024, 9, 30)},
            {"period_key": "2024-09", "period_type": "month", "cell": "sep",
             "value": 86.0, "cell_precedence": 1, "period_end": dt.date(2024, 9, 30)},
        ],
    )  # fmt: skip


# --- What value stands as at a period, on a real return -----------------------------------


def test_a_lagged_indicator_stands_at_q1_within_its_year_and_never_on_last_years_outturn() -> None:
    # St Helens' 2024-25 Q2 return: ENV-004A (household waste sent for recycling) is 35 in Q1
    # and 'To be reported in Q3' in Q2; its previous outturn is 31.25.
    env_004a = {"ref": "ENV-004A"}
    # CYP-013 as it would be had its Q1 cell said 'To be reported' too: nothing this year yet.
    cyp_013 = {"ref": "CYP-013"}
    rows = run_model(
        "intermediate.int_indicator_values_as_at",
        {
            "intermediate.int_indicator_observations": [
                observation("2024-25 Q1", 3, 35.0, **env_004a),
                observation("2024-25 Q2", 6, None, note="To be reported in Q3", **env_004a),
                observation("2023-24 Q4", 12, 31.25, financial_year_start=2023, **env_004a)
                | {"period_end": dt.date(2024, 3, 31)},
                observation("2024-25 Q1", 3, None, note="To be reported in Q3", **cyp_013),
                observation("2024-25 Q2", 6, None, note="To be reported in Q3", **cyp_013),
                observation("2023-24 Q4", 12, 175.0, financial_year_start=2023, **cyp_013)
                | {"period_end": dt.date(2024, 3, 31)},
            ],
            "intermediate.int_return_indicators": [
                {"authority": "Testshire", "ref": ref, "reporting_period": "2024-25 Q2",
                 "financial_year_start": 2024, "reporting_quarter": 2,
                 "reporting_period_end": dt.date(2024, 9, 30)}
                for ref in ("ENV-004A", "CYP-013")
            ],
        },
    )  # fmt: skip
    expect(
        rows,
        [
            {"ref": "ENV-004A", "period_key": "2023-24 Q4", "value_as_at": 31.25,
             "value_as_at_period_key": "2023-24 Q4"},
            {"ref": "ENV-004A", "period_key": "2024-25 Q1", "value_as_at": 35.0,
             "value_as_at_period_key": "2024-25 Q1"},
            {"ref": "ENV-004A", "period_key": "2024-25 Q2", "value_as_at": 35.0,
             "value_as_at_period_key": "2024-25 Q1"},
            {"ref": "CYP-013", "period_key": "2023-24 Q4", "value_as_at": 175.0,
             "value_as_at_period_key": "2023-24 Q4"},
            {"ref": "CYP-013", "period_key": "2024-25 Q1", "value_as_at": None,
             "value_as_at_period_key": None},
            {"ref": "CYP-013", "period_key": "2024-25 Q2", "value_as_at": None,
             "value_as_at_period_key": None},
        ],
    )  # fmt: skip


# --- The summaries counted, under both judgements -----------------------------------------


def fact_row(period_key: str, priority: int, ref: str, **judged: Any) -> dict[str, Any]:
    """A row of marts.fct_indicator_observations in a return for its period; `judged`
    gives the published_* and the restated columns the test counts."""
    return {
        "authority": "St Helens", "period_key": period_key, "priority_number": priority,
        "ref": ref, "in_return_for_period": True,
    } | judged  # fmt: skip


def status(
    published: str | None, value: float | None, restated: tuple[str | None, float] | None = None
) -> dict[str, Any]:
    """The published and the restated performance columns: restated as published unless
    `restated` gives its status and value."""
    restated_status, restated_value = restated or (published, value)
    return {
        "published_performance_status": published,
        "published_value_as_at": value,
        "performance_status": restated_status,
        "value_as_at": restated_value,
    }


def test_performance_is_counted_per_priority_and_in_total_under_each_judgement() -> None:
    q2_2021, q2_2024 = "2021-22 Q2", "2024-25 Q2"
    rows = run_model(
        "marts.mart_priority_performance_by_judgement",
        {
            "marts.fct_indicator_observations": [
                # St Helens' 2021-22 Q2 return, priority 1, as the sample's fact holds it.
                fact_row(q2_2021, 1, "CYP-03", **status("met", 21.0)),
                fact_row(q2_2021, 1, "CYP-05", **status("not met", 4.0)),
                fact_row(q2_2021, 1, "PH-04", **status("within", 29.0)),
                fact_row(q2_2021, 1, "CYP-23", **status("met", 17.5, ("met", 17.2))),
                # Blank in every return: a data gap both ways.
                fact_row(q2_2021, 1, "CYP-20", **status(None, None)),
                # Blank in Q2's return, filled with 11.7 by the outturn return, which gives no
                # Q2 target: a gap as published, and no status restated either.
                fact_row(q2_2021, 1, "PH-14", **status(None, None, (None, 11.7))),
                # Q1's row of a return for Q2 is not counted for Q2 or Q1.
                fact_row("2021-22 Q1", 1, "PH-14", **status("met", 15.7))
                | {"in_return_for_period": False},
                # St Helens' 2024-25 Q2 return; CYP-014 restated as a Q3 return filling its
                # lagged Q2 with 35 would judge it (34% target, lower is better).
                fact_row(q2_2024, 1, "CYP-004", **status("not met", 60.0)),
                fact_row(q2_2024, 1, "CYP-014", **status("met", 31.6, ("within", 35.0))),
                fact_row(q2_2024, 5, "ENV-004A", **status("within", 35.0)),
                fact_row(q2_2024, 5, "ENV-004B", **status("within", 69.42)),
            ]
        },
    )

    def counts(period: str, judged_as: str, priority: int | None, *n: int, pct_met: Any):
        names = ("n_with_data", "n_met", "n_within", "n_not_met", "n_data_gaps")
        return {"reporting_period": period, "judged_as": judged_as, "priority": priority,
                **dict(zip(names, n, strict=True)), "pct_met": pct_met}  # fmt: skip

    expect(
        rows,
        [
            counts(q2_2021, "published", 1, 4, 2, 1, 1, 2, pct_met=50.0),
            counts(q2_2021, "published", None, 4, 2, 1, 1, 2, pct_met=50.0),
            counts(q2_2021, "restated", 1, 4, 2, 1, 1, 1, pct_met=50.0),
            counts(q2_2021, "restated", None, 4, 2, 1, 1, 1, pct_met=50.0),
            counts(q2_2024, "published", 1, 2, 1, 0, 1, 0, pct_met=50.0),
            counts(q2_2024, "published", 5, 2, 0, 2, 0, 0, pct_met=0.0),
            counts(q2_2024, "published", None, 4, 1, 2, 1, 0, pct_met=25.0),
            counts(q2_2024, "restated", 1, 2, 0, 1, 1, 0, pct_met=0.0),
            counts(q2_2024, "restated", 5, 2, 0, 2, 0, 0, pct_met=0.0),
            counts(q2_2024, "restated", None, 4, 0, 3, 1, 0, pct_met=0.0),
        ],
    )


def test_a_priority_with_no_trend_keeps_its_row_with_none_counted_under_each_judgement() -> None:
    def trend(period: str, priority: int, ref: str, published: str | None,
              restated: str | None) -> dict[str, Any]:  # fmt: skip
        return fact_row(period, priority, ref, published_trend=published, trend=restated)

    q2 = "2024-25 Q2"
    rows = run_model(
        "marts.mart_priority_trend_by_judgement",
        {
            "marts.fct_indicator_observations": [
                # St Helens' 2024-25 Q2 return, as the sample's fact holds it, but CYP-001,
                # restated as a revised year-earlier value equal to this year's would judge it.
                trend(q2, 1, "CYP-002", "improved", "improved"),
                trend(q2, 1, "CYP-001", "worse", "same"),
                trend(q2, 2, "ASC-005A", "same", "same"),
                # Priority 5's carbon indicators have no value a year earlier, either way.
                trend(q2, 5, "CC-002", None, None),
                trend(q2, 5, "CC-006", None, None),
            ]
        },
    )

    def counts(judged_as: str, priority: int | None, *n: int, pct_same: Any):
        names = ("n_with_data", "n_improved", "n_worse", "n_same")
        return {"judged_as": judged_as, "priority": priority,
                **dict(zip(names, n, strict=True)), "pct_same": pct_same}  # fmt: skip

    expect(
        rows,
        [
            counts("published", 1, 2, 1, 1, 0, pct_same=0.0),
            counts("published", 2, 1, 0, 0, 1, pct_same=100.0),
            counts("published", 5, 0, 0, 0, 0, pct_same=None),
            counts("published", None, 3, 1, 1, 1, pct_same=100.0 / 3),
            counts("restated", 1, 2, 1, 0, 1, pct_same=50.0),
            counts("restated", 2, 1, 0, 0, 1, pct_same=100.0),
            counts("restated", 5, 0, 0, 0, 0, pct_same=None),
            counts("restated", None, 3, 1, 0, 2, pct_same=200.0 / 3),
        ],
    )


QuartileJudged = tuple[int | None, str | None]  # a quartile and where it came from


def test_quartiles_are_counted_with_those_computed_under_each_judgement() -> None:
    def quartile(
        priority: int, ref: str, published: QuartileJudged, restated: QuartileJudged | None = None
    ) -> dict[str, Any]:
        restated = restated or published
        return {"authority": "St Helens", "reporting_period": "2024-25 Q2",
                "priority_number": priority, "ref": ref, "quartile": published[0],
                "quartile_source": published[1], "restated_quartile": restated[0],
                "restated_quartile_source": restated[1]}  # fmt: skip

    rows = run_model(
        "marts.mart_quartile_distribution_by_judgement",
        {
            "marts.fct_indicator_quartiles": [
                # St Helens' 2024-25 Q2 return, as the sample's quartiles hold it, but CYP-006
                # restated as a later comparator return's revised values might place it.
                quartile(1, "CYP-001", (None, None)),
                quartile(1, "CYP-006", (4, "computed"), (3, "computed")),
                quartile(1, "CYP-003", (3, "reported")),
                quartile(1, "CYP-009", (1, "computed")),
                quartile(1, "CYP-007", (2, "computed")),
                quartile(5, "ENV-004A", (4, "reported")),
                quartile(5, "ENV-004B", (None, None)),
            ]
        },
    )

    def counts(judged_as: str, priority: int | None, *n: int) -> dict[str, Any]:
        names = ("n_with_data", "n_computed", "n_q1", "n_q2", "n_q3", "n_q4")
        return {"judged_as": judged_as, "priority": priority, **dict(zip(names, n, strict=True))}

    expect(
        rows,
        [
            counts("published", 1, 4, 3, 1, 1, 1, 1),
            counts("published", 5, 1, 0, 0, 0, 0, 1),
            counts("published", None, 5, 3, 1, 1, 1, 2),
            counts("restated", 1, 4, 3, 1, 1, 2, 0),
            counts("restated", 5, 1, 0, 0, 0, 0, 1),
            counts("restated", None, 5, 3, 1, 1, 2, 1),
        ],
    )


# --- The priorities' names ----------------------------------------------------------------


POSITIVE_START = "Ensure children and young people have a positive start in life"


def test_a_priority_takes_its_name_from_the_latest_return_even_within_one_year() -> None:
    def indicator_year(ref: str, name: str, return_order: int) -> dict[str, Any]:
        return {"authority": "St Helens", "ref": ref, "financial_year_start": 2024,
                "priority_number": 1, "priority_name": name,
                "attributes_from_return_order": return_order}  # fmt: skip

    # Two returns of one year name priority 1 differently (the later one shortens it);
    # a third gives only the number. Ordered by year alone, the choice was a tie.
    rows = run_model(
        "marts.dim_priorities",
        {
            "intermediate.int_indicator_years": [
                indicator_year("CYP-006", POSITIVE_START, 2),
                indicator_year("CYP-008A", "Children and young people", 3),
                indicator_year("CYP-012", None, 4),
            ]
        },
    )
    expect(rows, [{"priority_number": 1, "priority_name": "Children and young people",
                   "n_indicators": 3}])  # fmt: skip
