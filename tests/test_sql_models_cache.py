"""The project's models kept in its cache are the models sql/ holds now
(pipelines/sql_models/model_files.py)."""

import shutil
from pathlib import Path

import pytest

from pipelines.paths import SQL_DIR
from pipelines.sql_models import model_files
from pipelines.sql_models.model_files import load_sql_models, project_sql_models


@pytest.fixture
def sql_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of sql/ as the project's, with a cache of its own."""
    folder = tmp_path / "sql"
    shutil.copytree(SQL_DIR, folder)
    monkeypatch.setattr(model_files, "SQL_DIR", folder)
    monkeypatch.setattr(model_files, "MODELS_CACHE", tmp_path / "cache" / "sql-models.pickle")
    return folder


def test_the_models_from_the_cache_are_the_models_read_from_the_files(sql_dir: Path) -> None:
    first = project_sql_models()
    assert model_files.MODELS_CACHE.is_file()
    assert project_sql_models() == first == load_sql_models(sql_dir)


def test_a_model_changed_since_the_cache_was_written_is_read_again(sql_dir: Path) -> None:
    project_sql_models()
    path = sql_dir / "marts" / "mart_priority_performance.sql"
    path.write_text(path.read_text().replace("n_met", "n_met_now"))
    (model,) = [m for m in project_sql_models() if m.path == path]
    assert "n_met_now" in model.sql
    assert project_sql_models() == load_sql_models(sql_dir)


def test_an_unreadable_cache_is_read_past(sql_dir: Path) -> None:
    model_files.MODELS_CACHE.parent.mkdir(parents=True)
    model_files.MODELS_CACHE.write_bytes(b"not a pickle")
    assert project_sql_models() == load_sql_models(sql_dir)


def test_another_duckdb_version_gives_the_models_new_code_versions(
    sql_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {model.key: model.code_version for model in project_sql_models()}
    monkeypatch.setattr(model_files.duckdb, "__version__", "0.0.1")
    after = {model.key: model.code_version for model in project_sql_models()}
    assert before.keys() == after.keys()
    assert all(before[key] != after[key] for key in before)
