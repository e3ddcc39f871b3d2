"""Every table and column of the marts says what it is, in the warehouse, in Dagster
and in docs/, from the one description beside it in its SQL model."""

from __future__ import annotations

from pipelines.data_dictionary import DATA_DICTIONARY, render
from pipelines.definitions import defs
from tests.conftest import project_sql_models

MARTS = [model for model in project_sql_models() if model.layer == "marts"]


def test_every_mart_column_has_a_comment_in_the_warehouse(sample_warehouse) -> None:
    undescribed = sample_warehouse.sql(
        "select table_name, column_name from duckdb_columns() "
        "where schema_name = 'marts' and coalesce(comment, '') = ''"
    ).fetchall()
    assert undescribed == []
    tables = dict(
        sample_warehouse.sql(
            "select table_name, comment from duckdb_tables() where schema_name = 'marts'"
        ).fetchall()
    )
    assert set(tables) == {model.name for model in MARTS}
    assert all(comment for comment in tables.values())


def test_a_columns_comment_is_the_one_beside_it_in_its_model(sample_warehouse) -> None:
    (comment,) = sample_warehouse.sql(
        "select comment from duckdb_columns() where schema_name = 'marts' "
        "and table_name = 'fct_indicator_observations' and column_name = 'value_as_at'"
    ).fetchall()[0]
    model = next(m for m in MARTS if m.name == "fct_indicator_observations")
    assert comment == dict(model.column_descriptions)["value_as_at"]
    assert comment.startswith("The latest value of the financial year up to and including")


def test_dagster_shows_each_marts_columns_with_their_descriptions() -> None:
    graph = defs.resolve_asset_graph()
    for model in MARTS:
        schema = graph.get(model.key).metadata["dagster/column_schema"]
        assert [(c.name, c.description) for c in schema.columns] == list(model.column_descriptions)


def test_the_data_dictionary_page_is_made_from_the_models() -> None:
    assert DATA_DICTIONARY.read_text(encoding="utf-8") == render(project_sql_models()), (
        "docs/data-dictionary.md is out of date: run python -m pipelines data-dictionary"
    )
