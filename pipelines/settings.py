"""The pipeline's settings, read from one file by every entry point.

`settings.toml` in the project folder (or the file PIPELINES_SETTINGS names)
holds where the returns arrive, the warehouse, the reports folder, the
expected-returns register and the schedule's days after quarter end. The
command line, `dagster dev`, the schedule and the sensor all read it; a
command-line option overrides one setting for one run.

Everything a run keeps besides the warehouse itself lives beside it, named
after it: `warehouse.build.duckdb`, `.warehouse.duckdb.lock`, and Dagster's
history of its runs in `warehouse.dagster/`. So two warehouses never share a
history, and a run on another warehouse never shows up in this one's.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pipelines.paths import PROJECT_ROOT

SETTINGS_VARIABLE = "PIPELINES_SETTINGS"
DEFAULT_SETTINGS_FILE = PROJECT_ROOT / "settings.toml"

_PATHS = ("returns_dir", "warehouse", "reports_dir", "expected_returns")


class SettingsError(ValueError):
    """The settings file is missing, unreadable, or holds a setting that cannot be right."""


@dataclass(frozen=True)
class Settings:
    returns_dir: Path
    warehouse: Path
    reports_dir: Path
    expected_returns: Path
    days_after_quarter_end: int

    def with_warehouse(self, warehouse: Path, reports_dir: Path | None = None) -> Settings:
        """These settings for another warehouse. Its reports go beside it, unless a folder
        is given: a run on another warehouse never writes over this one's reports."""
        if warehouse == self.warehouse:
            return dataclasses.replace(self, reports_dir=reports_dir or self.reports_dir)
        return dataclasses.replace(
            self, warehouse=warehouse, reports_dir=reports_dir or reports_beside(warehouse)
        )


def history_of(warehouse: Path) -> Path:
    """The folder of Dagster's records of a warehouse's runs: `warehouse.dagster/` beside it."""
    return warehouse.with_name(f"{warehouse.stem}.dagster")


def reports_beside(warehouse: Path) -> Path:
    """The reports folder of a warehouse the settings do not name: `warehouse.reports/`."""
    return warehouse.with_name(f"{warehouse.stem}.reports")


def settings_file() -> Path:
    return Path(os.environ.get(SETTINGS_VARIABLE) or DEFAULT_SETTINGS_FILE).resolve()


def load_settings(path: Path | None = None) -> Settings:
    """The settings in the file, its relative paths read from the file's own folder."""
    path = path or settings_file()
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SettingsError(f"the settings file {path} cannot be read ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"the settings file {path} is not valid TOML: {error}") from None
    expected = {field.name for field in dataclasses.fields(Settings)}
    if unknown := sorted(values.keys() - expected):
        raise SettingsError(
            f"the settings file {path} has {', '.join(unknown)}, which is not a setting "
            f"(the settings are {', '.join(sorted(expected))})"
        )
    if missing := sorted(expected - values.keys()):
        raise SettingsError(f"the settings file {path} does not say {', '.join(missing)}")
    for name in _PATHS:
        if not isinstance(values[name], str) or not values[name]:
            raise SettingsError(f"{name} in {path} must be a path in quotes")
        values[name] = (path.parent / values[name]).resolve()
    days = values["days_after_quarter_end"]
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 28:
        raise SettingsError(
            f"days_after_quarter_end in {path} must be a whole number from 1 to 28 "
            f"(a day every month has), not {days!r}"
        )
    return Settings(**values)
