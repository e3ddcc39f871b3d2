"""Where the project keeps things, so every entry point agrees."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = PROJECT_ROOT / "sql"
DEFAULT_RETURNS_DIR = PROJECT_ROOT / "data" / "raw"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "data" / "warehouse.duckdb"
DEFAULT_EXPECTED_RETURNS = PROJECT_ROOT / "data" / "reference" / "expected_returns.csv"
EXPECTATIONS_DIR = PROJECT_ROOT / "schemas" / "expectations"
DEFAULT_REPORTS_DIR = PROJECT_ROOT / "reports"
