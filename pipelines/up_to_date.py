"""Whether a run would change anything: the fingerprint of everything a run reads.

A run with nothing new to read, judge or rebuild should cost almost nothing. So the
last run that published records, beside the warehouse, the fingerprint of what it
was given: every file in the returns folder (path, size, modification time and
content hash), the expected-returns register, the expectation suites, the code and
rules (every file of assets/, pipelines/, schemas/ and sql/, and the locked library
versions), the quarters asked for and the folders used; and the published file as
it left it. The command line compares the next run's inputs with that record before
Dagster is even imported, and answers at once when nothing differs.

Only content counts: a file whose size and modification time are unchanged keeps
its recorded hash, any other is hashed again, so a return saved again unchanged is
no change, while any changed byte of a return, the register, the SQL, the schemas
or the code means a full run. A file modified within the last few seconds before the
record is always hashed again, since a coarse file-system clock could hide a change
made in the same tick. A warehouse replaced or deleted since it was published, or a
record from another version of this module, also means a full run.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipelines.paths import PROJECT_ROOT

# Bumped whenever what the record holds, or how it is compared, changes.
RECORD_VERSION = 1
# Everything whose change can change what a run builds.
CODE_FOLDERS = ("assets", "pipelines", "schemas", "sql")
CODE_FILES = ("pyproject.toml", "uv.lock", "dagster.yaml")
# A file modified this close to the record is hashed again next time, whatever its stat says.
RACY_SECONDS = 3.0


@dataclass(frozen=True)
class RunInputs:
    """What one `run` is given, as the command line resolved it."""

    returns_dir: Path
    warehouse: Path
    quarters: Sequence[str]
    expected_returns: Path
    expectations_dir: Path
    reports_dir: Path

    @property
    def record_path(self) -> Path:
        return self.warehouse.with_name(f".{self.warehouse.name}.inputs.json")

    def fingerprint(self) -> dict:
        """Everything the record compares, taken before the run reads anything."""
        previous = self._read_record()
        known = previous["returns"] if previous else {}
        started = time.time()
        returns = {}
        for path, stat in _folder_stats(self.returns_dir):
            recorded_stat, recorded_hash = known.get(path, (None, None))
            unchanged = recorded_stat is not None and tuple(recorded_stat) == stat
            digest = recorded_hash if unchanged else _hash_file(self.returns_dir / path)
            trusted = stat[1] / 1e9 < started - RACY_SECONDS
            returns[path] = [list(stat) if trusted else None, digest]
        return {
            "version": RECORD_VERSION,
            "settings": {
                "returns_dir": str(self.returns_dir),
                "warehouse": str(self.warehouse),
                "quarters": sorted(set(self.quarters)),
                "expected_returns": str(self.expected_returns),
                "expectations_dir": str(self.expectations_dir),
                "reports_dir": str(self.reports_dir),
            },
            "code": code_fingerprint(),
            "expected_returns": _hash_file(self.expected_returns)
            if self.expected_returns.is_file()
            else None,
            "expectations": _tree_hash(self.expectations_dir),
            "returns": returns,
        }

    def unchanged_since_last_published_run(self, fingerprint: dict) -> str | None:
        """The line to print when nothing in the fingerprint differs from the last run
        that published this warehouse, and the warehouse is as it left it; None when a
        run is needed."""
        record = self._read_record()
        if record is None or record["published"] != _stat(self.warehouse):
            return None
        if not self.reports_dir.is_dir():
            return None
        compared = ("settings", "code", "expected_returns", "expectations")
        if any(record[key] != fingerprint[key] for key in compared):
            return None
        if _hashes(record["returns"]) != _hashes(fingerprint["returns"]):
            return None
        return (
            f"Nothing changed since the last published run ({record['run_id']}, "
            f"{record['recorded_at']}): no return, register, rule or setting is new, so "
            f"{self.warehouse} is up to date. Use --force to rebuild it anyway."
        )

    def record_published(self, fingerprint: dict, run_id: str) -> None:
        """Record that the run given these inputs published the warehouse."""
        record = fingerprint | {
            "published": _stat(self.warehouse),
            "run_id": run_id,
            "recorded_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        }
        partial = self.record_path.with_name(self.record_path.name + ".partial")
        partial.write_text(json.dumps(record, indent=1))
        partial.replace(self.record_path)

    def _read_record(self) -> dict | None:
        try:
            record = json.loads(self.record_path.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("version") != RECORD_VERSION:
            return None
        return record


def code_fingerprint(root: Path = PROJECT_ROOT) -> str:
    """One hash of every file the build's behaviour comes from."""
    files = [root / name for name in CODE_FILES]
    for folder in CODE_FOLDERS:
        files += [
            path
            for path in (root / folder).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
        ]
    return _combined(
        (path.relative_to(root).as_posix(), path.read_bytes() if path.is_file() else b"")
        for path in sorted(files)
    )


def _hashes(returns: dict[str, list]) -> dict[str, str]:
    return {path: digest for path, (_, digest) in returns.items()}


def _folder_stats(folder: Path) -> list[tuple[str, tuple[int, int]]]:
    """Every file under the folder, returns or not: a file the reader would skip can
    only cost a needless run, never a missed one."""
    found = []
    for directory, _, names in os.walk(folder):
        for name in names:
            path = Path(directory) / name
            stat = path.stat()
            found.append((path.relative_to(folder).as_posix(), (stat.st_size, stat.st_mtime_ns)))
    return sorted(found)


def _tree_hash(folder: Path) -> str | None:
    if not folder.is_dir():
        return None
    return _combined(
        (path.relative_to(folder).as_posix(), path.read_bytes())
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    )


def _combined(named_contents: Iterable[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for name, content in named_contents:
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()


def _hash_file(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _stat(path: Path) -> list[int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return [stat.st_size, stat.st_mtime_ns]
