"""Importing the libraries of a run without Python's garbage collector walking them.

A run imports some 2,500 modules (Dagster, DuckDB, Polars, Pandera and pandas; Great
Expectations in its own process), and the hundreds of thousands of objects they make
are nearly all kept for the process's life. While they are made, each of Python's
full collections walks every one made so far, a quarter of the imports' CPU; and after,
every full collection of the run would walk them again. So the collector waits until
the imports are done, and then leaves their objects out of its walks for good
(`gc.freeze`): what a run makes afterwards is collected as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def imports_kept_from_collection() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
