"""A model's header comment: its description, grain and partitioning."""

import re
from dataclasses import dataclass
from pathlib import Path

_GRAIN_LINE = re.compile(r"^--\s*grain:\s*(.+)$", re.IGNORECASE)
_PARTITION_LINE = re.compile(r"^--\s*partitioned by:\s*(\w+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Header:
    description: str
    grain: tuple[str, ...] | None
    partitioned_by: str | None


def read_header(path: Path, sql: str) -> Header:
    """The header comment of the model in `path`: the comment lines it begins with."""
    lines: list[str] = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line)
    grain = next((m.group(1) for line in lines if (m := _GRAIN_LINE.match(line))), None)
    partitioned_by = next(
        (m.group(1) for line in lines if (m := _PARTITION_LINE.match(line))), None
    )
    return Header(
        description="\n".join(
            line.removeprefix("--").strip()
            for line in lines
            if not _GRAIN_LINE.match(line) and not _PARTITION_LINE.match(line)
        ).strip(),
        grain=None if grain is None else tuple(column.strip() for column in grain.split(",")),
        partitioned_by=partitioned_by,
    )
