"""The data dictionary page (docs/data-dictionary.md), made from the models themselves.

A table's description is its SQL file's header comment; a column's is the
comment beside it in the final SELECT. The same text goes into DuckDB
(COMMENT ON) and Dagster's column schema, so it is written once.
`python -m pipelines data-dictionary` rewrites the page; a test fails when the
committed page and the models disagree.
"""

from __future__ import annotations

from pipelines.paths import PROJECT_ROOT, SQL_DIR
from pipelines.sql_models.model import SqlModel
from pipelines.sql_models.model_files import load_sql_models

DATA_DICTIONARY = PROJECT_ROOT / "docs" / "data-dictionary.md"
DOCUMENTED_LAYER = "marts"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(models: list[SqlModel]) -> str:
    lines = [
        "# Data dictionary: the marts",
        "",
        "The fact table, its dimensions and the published summaries, as analysts",
        "query them. Made by `python -m pipelines data-dictionary` from the SQL",
        "models (sql/marts/): the same descriptions are in the warehouse",
        "(`SELECT * FROM duckdb_columns() WHERE schema_name = 'marts'`) and in",
        "Dagster's UI. Do not edit this page by hand.",
    ]
    for model in models:
        if model.layer != DOCUMENTED_LAYER:
            continue
        lines += [
            "",
            f"## {model.table}",
            "",
            model.description.replace("\n", " ").strip(),
            "",
            f"Grain: one row per {', '.join(model.grain)}.",
            "",
            "| column | description |",
            "|---|---|",
            *(f"| `{name}` | {_cell(text)} |" for name, text in model.column_descriptions),
        ]
    return "\n".join(lines) + "\n"


def write() -> None:
    DATA_DICTIONARY.write_text(render(load_sql_models(SQL_DIR)), encoding="utf-8")
