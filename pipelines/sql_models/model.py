"""What a SQL model is: one file under sql/<layer>/, one table, one asset."""

from dataclasses import dataclass
from pathlib import Path

from dagster import AssetKey

# The folders of sql/ that hold models, each a DuckDB schema.
LAYERS = ("staging", "intermediate", "marts", "quality", "audit")
# The current returns every incremental model is built from (tables.py): the one model,
# rebuilt whole on every run, that an incremental model may read besides other
# incremental models.
RETURN_VERSIONS = "staging.stg_indicator_return_versions"


class SqlModelError(Exception):
    """A file under sql/ that is not a model the pipeline can build."""


@dataclass(frozen=True)
class SqlModel:
    layer: str
    name: str
    path: Path
    sql: str
    description: str
    grain: tuple[str, ...]
    upstream: frozenset[AssetKey]
    # The column holding the reporting period, for a model whose rows belong to
    # one: a run for a financial quarter replaces that quarter's rows only.
    partitioned_by: str | None = None
    # `file_path`, `reporting_period` or `financial_year_start`, for a model rebuilt only
    # for the files, periods or financial years whose returns changed since it was built
    # (tables.py).
    incremental_by: str | None = None
    # A digest of the model's SQL, the rule macros and every model it reads, and DuckDB's
    # version: an incremental model built by other code is rebuilt whole.
    code_version: str = ""
    # The incremental models this one reads: what they were built from is what it is
    # built from (tables.py).
    incremental_upstream: tuple[str, ...] = ()
    # Each output column's description: the comment beside it in the final SELECT.
    column_descriptions: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> AssetKey:
        return AssetKey([self.layer, self.name])

    @property
    def table(self) -> str:
        return f"{self.layer}.{self.name}"
