"""Great Expectations' validations, in a process of its own started as a run begins.

Importing Great Expectations and making its context takes seconds, longer than
the sample's SQL models. The command line starts this process before it does
anything else (`start_early`), so the import runs, at a low priority, on the
time the reading, the gate and the models leave idle; the suites are then
validated there, on batches the run sends it. The process is forked before Dagster or
DuckDB is loaded, so nothing with threads of its own is copied into it.
Anywhere else (tests, `dagster dev`), or if the process has died, the suites
are validated in the calling process, with the same code.

Nothing here imports Dagster: the forked process stays small.
"""

from __future__ import annotations

import ctypes
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from pipelines.quick_imports import imports_kept_from_collection

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from great_expectations.data_context import AbstractDataContext

EXAMPLES_KEPT = 5
# How much the process's niceness is raised (os.nice adds it; 19 is the lowest priority).
BACKGROUND_NICENESS = 10


@dataclass(frozen=True)
class SuiteBatch:
    """One suite (its JSON, as in schemas/expectations/) and the rows it validates.

    The rows travel as an Arrow table and become the pandas frame Great Expectations
    validates only in the validating process: on the large benchmark's fact table (1.6
    million rows), DuckDB's own pandas conversion and the pickled frame's trip between
    the processes took 14 s, the Arrow table's 2 s."""

    suite: str
    expectations: dict[str, Any]
    rows: pa.Table


class _EarlyProcess:
    """The one process of a run that validates suites, once started."""

    pool: ProcessPoolExecutor | None = None


def start_early() -> None:
    """Start the process and its import of Great Expectations now, before the run needs it."""
    if _EarlyProcess.pool is None:
        _EarlyProcess.pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_import_in_background,
        )
        _EarlyProcess.pool.submit(int)  # a pool starts its process at its first task


def _import_in_background() -> None:
    """The process's start: its priority lowered for the rest of its life, then Great
    Expectations imported and its context made. On two cores the import competed with
    the run's reading and gate, each using both, and cost them more than the import
    itself (the large benchmark's reading took 11 s beside it, 7.6 s alone); niced, it
    takes what the run leaves idle. The low priority costs the suites nothing: the run
    waits while they are validated, so nothing competes with them."""
    os.nice(BACKGROUND_NICENESS)
    _context()


def stop() -> None:
    if _EarlyProcess.pool is not None:
        _EarlyProcess.pool.shutdown(cancel_futures=True)
        _EarlyProcess.pool = None


def validate_batches(batches: list[SuiteBatch]) -> list[dict[str, Any]]:
    """Each suite's expectations validated on its batch: one dict per expectation."""
    if _EarlyProcess.pool is not None:
        try:
            outcomes = _EarlyProcess.pool.submit(_validate_all, batches).result()
            # Not waited for: the run goes on while the process tidies up.
            _EarlyProcess.pool.submit(_return_freed_memory)
            return outcomes
        except BrokenProcessPool:
            _EarlyProcess.pool = None
    outcomes = _validate_all(batches)
    _return_freed_memory()
    return outcomes


def _validate_all(batches: list[SuiteBatch]) -> list[dict[str, Any]]:
    return [outcome for batch in batches for outcome in _validate(batch)]


@cache
def _context() -> AbstractDataContext:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    with imports_kept_from_collection():
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        return gx.get_context(
            mode="ephemeral",
            project_config=DataContextConfig(
                analytics_enabled=False,
                progress_bars=ProgressBarsConfig(globally=False),
                store_backend_defaults=InMemoryStoreBackendDefaults(),
            ),
        )


def _validate(batch: SuiteBatch) -> list[dict[str, Any]]:
    import great_expectations as gx

    context = _context()
    source = context.data_sources.add_or_update_pandas("warehouse")
    if batch.suite in source.get_asset_names():
        source.delete_asset(batch.suite)
    expectations = gx.ExpectationSuite(**batch.expectations)
    rows = _as_frame(batch)
    validation = (
        source.add_dataframe_asset(batch.suite)
        .add_batch_definition_whole_dataframe("whole table")
        .get_batch(batch_parameters={"dataframe": rows})
        # BASIC, not the default SUMMARY: SUMMARY adds the unexpected values' counts and
        # row indexes, metrics that nearly doubled the suites' time, for figures nothing
        # here keeps.
        .validate(
            expectations,
            result_format={"result_format": "BASIC", "partial_unexpected_count": EXAMPLES_KEPT},
        )
    )
    return [
        {
            "suite": batch.suite,
            "expectation": result.expectation_config.type,
            "arguments": json.dumps(
                {k: v for k, v in result.expectation_config.kwargs.items() if k != "batch_id"},
                default=str,
            ),
            "severity": str(result.expectation_config.severity.value),
            "success": bool(result.success),
            "rows_checked": result.result.get("element_count", len(rows)),
            "unexpected_count": result.result.get("unexpected_count"),
            "unexpected_examples": json.dumps(
                result.result.get("partial_unexpected_list", [])[:EXAMPLES_KEPT], default=str
            ),
        }
        for result in validation.results
    ]


def _return_freed_memory() -> None:
    """Give the memory the batches' frames held back to the system once they are gone.
    The process lives for the whole run, beside the DuckDB building the tables, and
    Arrow's and the C library's allocators would keep it otherwise: half a gigabyte
    after the large benchmark's fact table, for the rest of the run."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    c_library = ctypes.CDLL(None)
    if hasattr(c_library, "malloc_trim"):  # glibc only; elsewhere the memory stays held
        c_library.malloc_trim(0)


def _as_frame(batch: SuiteBatch) -> pd.DataFrame:
    """The batch as the pandas frame Great Expectations validates, in the shapes its
    pandas engine is quick with.

    Text columns are categorical: the engine takes the rows an expectation looks at
    out of the whole frame for each expectation, and taking rows of a categorical
    moves integer codes, not strings. A column a pair expectation compares stays text,
    since two categoricals compare only when their categories are the same. Integer
    columns are int64: the engine compares any other integer type with a range one
    value at a time, in Python. On the large benchmark's fact table (1.6 million
    rows) the suite took 3 s instead of 9 s."""
    import pandas as pd

    compared = {
        expectation["kwargs"][side]
        for expectation in batch.expectations["expectations"]
        if expectation["type"].startswith("expect_column_pair_")
        for side in ("column_A", "column_B")
    }
    columns = batch.rows.column_names
    frame = batch.rows.to_pandas(strings_to_categorical=True)
    for column in columns:
        dtype = frame[column].dtype
        if isinstance(dtype, pd.CategoricalDtype) and column in compared:
            frame[column] = frame[column].astype(pd.StringDtype())
        elif pd.api.types.is_integer_dtype(dtype) and dtype != "int64":
            frame[column] = frame[column].astype("int64")
    return frame
