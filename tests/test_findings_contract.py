"""The findings contract: every check model is held to the same columns by the model
loader, quality.dq_flags is assembled from every check model it finds, and nothing about
a finding blocks publication."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.sql_models.checks import model_check_specs
from pipelines.sql_models.findings import FINDING_COLUMNS, FINDING_GRAIN
from pipelines.sql_models.model import SqlModelError
from pipelines.sql_models.model_files import load_sql_models, read_sql_model
from tests.conftest import project_sql_models

MODELS = project_sql_models()
CHECKS = [model for model in MODELS if model.layer == "quality" and model.name.startswith("check_")]
FINDINGS_SELECT = ", ".join(f"null as {name}" for name, _, _ in FINDING_COLUMNS)


def test_every_check_model_found_is_gathered_in_dq_flags() -> None:
    (dq_flags,) = [model for model in MODELS if model.table == "quality.dq_flags"]
    assert dq_flags.upstream == {check.key for check in CHECKS}
    assert len(CHECKS) >= 17


def test_a_new_check_file_joins_dq_flags_without_anyone_listing_it(tmp_path: Path) -> None:
    (tmp_path / "quality").mkdir()
    for name in ("check_one", "check_two"):
        (tmp_path / "quality" / f"{name}.sql").write_text(
            f"-- A check made for the test.\nselect {FINDINGS_SELECT}\n"
        )
    models = {model.table: model for model in load_sql_models(tmp_path)}
    assert "select * from quality.check_two" in models["quality.dq_flags"].sql
    assert {key.path[-1] for key in models["quality.dq_flags"].upstream} == {
        "check_one", "check_two",
    }  # fmt: skip


def test_a_dq_flags_file_is_refused_since_the_loader_assembles_it(tmp_path: Path) -> None:
    (tmp_path / "quality").mkdir()
    (tmp_path / "quality" / "dq_flags.sql").write_text("-- grain: a\nselect 1 as a\n")
    with pytest.raises(SqlModelError, match="assembled from the check models"):
        load_sql_models(tmp_path)


def test_a_check_model_missing_a_findings_column_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "check_short.sql"
    columns = ", ".join(f"null as {name}" for name, _, _ in FINDING_COLUMNS if name != "severity")
    path.write_text(f"-- A check that forgot its severity.\nselect {columns}, 1 as extra\n")
    with pytest.raises(SqlModelError, match=r"missing: severity; not in the contract: extra"):
        read_sql_model(path, "quality")


@pytest.mark.parametrize("model", CHECKS, ids=lambda m: m.table)
def test_each_check_model_has_the_contracts_columns_and_grain(model) -> None:
    assert [name for name, _ in model.column_descriptions] == [n for n, _, _ in FINDING_COLUMNS]
    assert model.grain == FINDING_GRAIN
    # The grain names the row of the file, so two returns of one period cannot collide.
    assert {"source_file_path", "source_row_number", "check_name"} <= set(model.grain)


def test_no_check_on_a_findings_table_blocks_publication() -> None:
    for model in MODELS:
        specs = {spec.name: spec.blocking for spec in model_check_specs(model)}
        if model in CHECKS or model.table == "quality.dq_flags":
            assert not any(specs.values()), model.table
        else:
            assert specs["grain_is_unique"], model.table
