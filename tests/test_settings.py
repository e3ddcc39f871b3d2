"""One settings file, read by the command line, Dagster's UI, the schedule and the sensor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import build_sensor_context, instance_for_test, partition_loading_context

from pipelines.definitions import SETTINGS, defs
from pipelines.paths import DEFAULT_RETURNS_DIR, PROJECT_ROOT
from pipelines.settings import (
    SETTINGS_VARIABLE,
    SettingsError,
    history_of,
    load_settings,
    reports_beside,
)

SETTINGS_TEXT = """
returns_dir = "returns"
warehouse = "store/council.duckdb"
reports_dir = "out"
expected_returns = "register.csv"
days_after_quarter_end = 14
"""


def settings_in(folder: Path, text: str = SETTINGS_TEXT) -> Path:
    path = folder / "settings.toml"
    path.write_text(text)
    return path


def test_paths_in_the_settings_file_are_read_from_its_own_folder(tmp_path: Path) -> None:
    settings = load_settings(settings_in(tmp_path))
    assert settings.returns_dir == tmp_path / "returns"
    assert settings.warehouse == tmp_path / "store" / "council.duckdb"
    assert settings.reports_dir == tmp_path / "out"
    assert settings.expected_returns == tmp_path / "register.csv"
    assert settings.days_after_quarter_end == 14


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("days_after_quarter_end = 14", "days_after_quarter_end = 31"), "must be a whole number"),
        (("reports_dir", "report_dir"), "report_dir, which is not a setting"),
        (('expected_returns = "register.csv"', ""), "does not say expected_returns"),
        (('"out"', "7"), "reports_dir in .* must be a path in quotes"),
    ],
)
def test_a_setting_that_cannot_be_right_is_refused_by_name(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(settings_in(tmp_path, SETTINGS_TEXT.replace(*change)))


def test_dagster_loads_its_resources_and_schedule_from_the_settings_file() -> None:
    project = load_settings(PROJECT_ROOT / "settings.toml")
    assert project == SETTINGS
    assert defs.resources["warehouse"].path == str(project.warehouse)
    assert defs.resources["returns_folder"].path == str(project.returns_dir)
    assert defs.resources["reports_folder"].path == str(project.reports_dir)
    assert defs.resources["reference"].expected_returns == str(project.expected_returns)
    schedule = defs.resolve_schedule_def("quarterly_run")
    days = project.days_after_quarter_end
    assert schedule.cron_schedule == f"0 6 {days} 1,4,7,10 *"
    assert f" {days} days after it closed" in schedule.description
    assert "$" not in schedule.description


def test_another_settings_file_is_what_the_ui_the_schedule_and_the_sensor_see(
    tmp_path: Path,
) -> None:
    # As `dagster dev` loads the code location: a fresh interpreter importing the definitions.
    show = (
        "import json; from pipelines.definitions import defs; "
        "s = defs.resolve_schedule_def('quarterly_run'); "
        "print(json.dumps({name: r.model_dump() for name, r in defs.resources.items()} "
        "| {'cron': s.cron_schedule, 'description': s.description}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", show], cwd=PROJECT_ROOT, capture_output=True, text=True,
        env=os.environ | {SETTINGS_VARIABLE: str(settings_in(tmp_path))}, check=True,
    )  # fmt: skip
    seen = json.loads(loaded.stdout)
    assert seen["warehouse"]["path"] == str(tmp_path / "store" / "council.duckdb")
    assert seen["returns_folder"]["path"] == str(tmp_path / "returns")
    assert seen["reports_folder"]["path"] == str(tmp_path / "out")
    assert seen["reference"]["expected_returns"] == str(tmp_path / "register.csv")
    assert seen["cron"] == "0 6 14 1,4,7,10 *"
    assert "14 days after it closed" in seen["description"]


def test_the_sensor_watches_the_returns_folder_the_settings_name() -> None:
    sensor = defs.resolve_sensor_def("new_or_changed_returns")
    # The daemon gives a sensor the resources of the definitions, as here.
    with (
        instance_for_test() as instance,
        build_sensor_context(
            instance=instance, resources=dict(defs.resources), definitions=defs
        ) as context,
        partition_loading_context(dynamic_partitions_store=instance),
    ):
        result = sensor.evaluate_tick(context)
    assert SETTINGS.returns_dir == DEFAULT_RETURNS_DIR
    assert sorted(request.partition_key for request in result.run_requests) == [
        "2021-22-Q2", "2021-22-Q4", "2024-25-Q2",
    ]  # fmt: skip


def test_another_warehouse_keeps_its_history_and_reports_beside_it(tmp_path: Path) -> None:
    settings = load_settings(settings_in(tmp_path))
    other = tmp_path / "trial" / "trial.duckdb"
    assert history_of(other) == tmp_path / "trial" / "trial.dagster"
    assert settings.with_warehouse(other).reports_dir == reports_beside(other)
    assert reports_beside(other) == tmp_path / "trial" / "trial.reports"
    assert settings.with_warehouse(other, tmp_path / "mine").reports_dir == tmp_path / "mine"
    # The warehouse the settings name keeps the settings' reports folder.
    assert settings.with_warehouse(settings.warehouse).reports_dir == tmp_path / "out"
