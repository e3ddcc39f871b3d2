"""A model's header comment is a contract: the keys it states are read strictly.

The header is the comment lines a model file begins with. Each is either a key
line or a line of the description:

- A key line is `-- key: value` at the start of a sentence, where the key is one
  or two lower-case words (letters, digits, underscores) before the colon:
  `-- grain: authority, ref, period_key`. The start of a sentence is the
  header's first line, or a line after a blank `--` line, a key line or a line
  ending a sentence (in `.`, `!` or `?`).
- Every other line is the description, the table's comment in the warehouse:
  so a sentence that wraps just before a colon (`-- published: each period`
  after `-- ... as the reports publish it, as`) stays prose, and so does a
  capitalised label (`-- With data: ...`).

The keys (HEADER_KEYS):

- `grain`: the columns no two rows share, separated by commas. Every model
  states one, except a check model, whose grain is the findings contract's.
- `partitioned by`: the one column holding the reporting period of a model
  whose rows belong to one (see tables.py).

A key not in HEADER_KEYS (`-- partitioned_by:`, `-- grian:`), a known key
written with capitals, a key stated twice or a value of the wrong shape is an
error when the model is loaded, naming the file and the key: a misspelt key
would otherwise silently become description, and its model, say, unpartitioned.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.sql_models.model import SqlModelError

GRAIN = "grain"
PARTITIONED_BY = "partitioned by"
HEADER_KEYS = (GRAIN, PARTITIONED_BY)

_KEY_LINE = re.compile(r"^--\s*(?P<key>[A-Za-z][\w]*(?:\s+[A-Za-z][\w]*)?)\s*:\s*(?P<value>.*)$")
_ENDS_SENTENCE = re.compile(r"[.!?][\"')\]]*$")
_COLUMN = re.compile(r"^\w+$")


@dataclass(frozen=True)
class Header:
    description: str
    grain: tuple[str, ...] | None
    partitioned_by: str | None


def read_header(path: Path, sql: str) -> Header:
    """The header comment of the model in `path`, its keys checked against the contract."""
    keys: dict[str, str] = {}
    description: list[str] = []
    starts_sentence = True
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        text = line.removeprefix("--").strip()
        match = _KEY_LINE.match(line) if starts_sentence else None
        key = " ".join(match["key"].split()) if match else ""
        if match and (key.islower() or key.lower() in HEADER_KEYS):
            keys[key] = _checked_value(path, key, match["value"] or "", keys)
            starts_sentence = True
        else:
            description.append(text)
            starts_sentence = not text or bool(_ENDS_SENTENCE.search(text))
    grain = keys.get(GRAIN)
    return Header(
        description="\n".join(description).strip(),
        grain=None if grain is None else tuple(column.strip() for column in grain.split(",")),
        partitioned_by=keys.get(PARTITIONED_BY),
    )


def _checked_value(path: Path, key: str, value: str, keys: dict[str, str]) -> str:
    """The key's value, stripped; an error naming the file and the key where the key is
    not in the contract, is stated twice or its value has the wrong shape."""
    if key not in HEADER_KEYS:
        hint = f" (write '{key.lower()}')" if key.lower() in HEADER_KEYS else ""
        raise SqlModelError(
            f"{path}: unknown header key '{key}'{hint}; a model's header states "
            f"{' and '.join(repr(k) for k in HEADER_KEYS)}, and any other line is its "
            "description"
        )
    if key in keys:
        raise SqlModelError(f"{path}: the header states '{key}' twice")
    value = value.strip()
    columns = [column.strip() for column in value.split(",")]
    if not all(_COLUMN.match(column) for column in columns) or (
        key == PARTITIONED_BY and len(columns) != 1
    ):
        shape = "one column" if key == PARTITIONED_BY else "columns separated by commas"
        raise SqlModelError(f"{path}: header key '{key}' takes {shape}, not '{value}'")
    return value
