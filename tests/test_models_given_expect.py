"""Unit tests of the models that decide which return wins and what value stands as at
a period, in the style of dbt's unit tests: given a few input rows, each model's SQL is
run alone in an in-memory DuckDB with the rule macros, and its rows are compared with
the rows expected, in the columns the test names."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import polars as pl
import pytest
from sqlglot import exp, parse_one

from pipelines.paths import SQL_DIR
from pipelines.resources import load_rule_macros
from pipelines.sql_models.model import SqlModel
from pipelines.sql_models.model_files import load_sql_models

MODELS = {model.table: model for model in load_sql_models(SQL_DIR)}


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
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            connection.register("given_rows", frame)
            connection.execute(f"CREATE TABLE {input_table} AS SELECT * FROM given_rows")
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
        "staging.stg_indicator_returns",
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
            9: dt.date(2024, 12, 31)}  # fmt: skip
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
