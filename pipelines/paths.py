"""Where the project keeps its own things, so every entry point agrees. Where a run
reads returns and writes the warehouse and reports is settings.toml's to say
(pipelines/settings.py); the two paths below are the sample the project ships."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = PROJECT_ROOT / "sql"
EXPECTATIONS_DIR = PROJECT_ROOT / "schemas" / "expectations"
DEFAULT_RETURNS_DIR = PROJECT_ROOT / "data" / "raw"
DEFAULT_EXPECTED_RETURNS = PROJECT_ROOT / "data" / "reference" / "expected_returns.csv"
# Inside a run's reports folder: each authority's quarterly report.
QUARTERLY_REPORTS_FOLDER = "quarterly"
