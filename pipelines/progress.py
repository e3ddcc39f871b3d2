"""The run as it happens: one line per stage, with its counts and how long it took.

Dagster's own log (an event line for every output, materialisation and check)
is for `--verbose`. By default a person sees each stage when it ends; where a
stage takes long, a terminal shows it running, with the seconds so far, on a
line that the stage's own line then replaces.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from typing import TextIO

from dagster import DagsterEvent, DagsterEventType

from pipelines.sql_models.checks import FINDINGS_CHECK

# A stage shows as running, on a terminal, once it has taken this long.
SHOW_RUNNING_AFTER_SECONDS = 2.0
_WIDTH = 44


class StageProgress:
    """Prints a line for each step of the run as it finishes (pass it each event)."""

    def __init__(self, out: TextIO | None = None, live: bool | None = None) -> None:
        self._out = out or sys.stdout
        self._live = self._out.isatty() if live is None else live
        self._step: str | None = None
        self._started = 0.0
        self._counts: Counter[str] = Counter()
        self._details: dict[str, str] = {}
        self._tables: set[tuple[str, ...]] = set()
        self._quarters: set[str] = set()
        self._lock = threading.Lock()
        self._ticker: threading.Thread | None = None
        self._running_shown = False

    def line(self, text: str) -> None:
        with self._lock:
            self._clear_running()
            print(text, file=self._out, flush=True)

    def __call__(self, event: DagsterEvent) -> None:
        kind = event.event_type
        if kind == DagsterEventType.STEP_START:
            self._start(event.step_key or "?")
        elif kind == DagsterEventType.ASSET_MATERIALIZATION:
            self._materialized(event)
        elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.asset_check_evaluation_data
            if evaluation.check_name == FINDINGS_CHECK:
                self._counts["found something"] += not evaluation.passed
            elif evaluation.passed:
                self._counts["checks passed"] += 1
            elif evaluation.blocking or evaluation.severity.value == "ERROR":
                self._counts["checks failed"] += 1
            else:
                self._counts["checks with a warning"] += 1
        elif kind == DagsterEventType.STEP_SUCCESS:
            self._finish("")
        elif kind == DagsterEventType.STEP_FAILURE:
            self._finish("FAILED")
        elif kind == DagsterEventType.STEP_SKIPPED:
            self.line(f"  {_stage_name(event.step_key or '?'):<{_WIDTH}} skipped")

    def _start(self, step: str) -> None:
        with self._lock:
            self._step, self._started = step, time.monotonic()
            self._counts.clear()
            self._details = {}
            self._tables, self._quarters = set(), set()
        if self._live and self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def _materialized(self, event: DagsterEvent) -> None:
        materialization = event.step_materialization_data.materialization
        key = materialization.asset_key.path
        metadata = {name: value.value for name, value in materialization.metadata.items()}
        if len(key) == 2:
            # A table of the partitioned marts is built once for each quarter run.
            self._tables.add(tuple(key))
            if materialization.partition:
                self._quarters.add(materialization.partition)
        if key == ["raw", "folder_scans"] and "files_in_folder" in metadata:
            self._details["files"] = f"{metadata['files_in_folder']} files"
        elif key == ["raw", "returns"] and "dagster/row_count" in metadata:
            self._details["rows"] = f"{metadata['dagster/row_count']} rows"
        elif key == ["quarterly_reports"]:
            self._details["reports"] = f"{len(metadata.get('files') or [])} report files"
        elif key == ["published_warehouse"]:
            self._details["published"] = "published"

    def _finish(self, status: str) -> None:
        with self._lock:
            seconds = time.monotonic() - self._started
            counts = self._counts
            parts = [self._details[name] for name in _DETAIL_ORDER if name in self._details]
            if self._tables:
                tables = len(self._tables)
                parts.append(f"{tables} table{'s' if tables != 1 else ''}")
            if len(self._quarters) > 1:
                parts.append(f"{len(self._quarters)} quarters")
            checks = sum(counts[f"checks {outcome}"] for outcome in _CHECK_OUTCOMES)
            if checks:
                parts.append(f"{checks} check{'s' if checks != 1 else ''}")
            parts += [
                f"{counts[f'checks {outcome}']} {outcome}"
                for outcome in _CHECK_OUTCOMES[1:]
                if counts[f"checks {outcome}"]
            ]
            if counts["found something"]:
                parts.append(f"{counts['found something']} data-quality checks with findings")
            if status:
                parts.append(status)
            text = (
                f"  {_stage_name(self._step or '?'):<{_WIDTH}} {seconds:6.1f} s  {'; '.join(parts)}"
            )
            self._step = None
            self._clear_running()
            print(text.rstrip(), file=self._out, flush=True)

    def _tick(self) -> None:
        while True:
            time.sleep(0.5)
            with self._lock:
                if self._step is None:
                    continue
                seconds = time.monotonic() - self._started
                if seconds >= SHOW_RUNNING_AFTER_SECONDS:
                    self._out.write(
                        f"\r\x1b[K  {_stage_name(self._step):<{_WIDTH}} {seconds:6.0f} s  running"
                    )
                    self._out.flush()
                    self._running_shown = True

    def _clear_running(self) -> None:
        if self._running_shown:
            self._out.write("\r\x1b[K")
            self._running_shown = False


_DETAIL_ORDER = ("files", "rows", "reports", "published")
_CHECK_OUTCOMES = ("passed", "failed", "with a warning")


def _stage_name(step_key: str) -> str:
    """`marts_models_by_quarter` is "marts models by quarter"; a step of one asset or
    check is named by it alone, without its schema."""
    name = step_key.split("__")[-1].replace("_", " ")
    return name if len(name) <= _WIDTH else name[: _WIDTH - 1] + "\u2026"
