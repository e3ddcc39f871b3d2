"""A model's header comment is a contract: the keys it states are read strictly.

The header is the comment lines (and blank lines) a model file begins with, up
to its first line of SQL. Each comment line is a key line or prose:

- A key line is `-- key: value` where the key is one to three words before the
  colon and either the key is one of HEADER_KEYS, in any case, or the value is
  a list of column names (`-- grain: authority, ref, period_key`,
  `-- owner: finance`). Wherever it stands in the header, it is read as a key,
  so it is never silently taken for prose.
- Any other line is prose: a sentence that wraps just before a colon (`--
  published: each period on its own returns`) or a capitalised label (`-- With
  data: a value and a target`). The prose of the first block, up to the first
  blank line, is the description: the table's comment in the warehouse.

The keys (HEADER_KEYS):

- `grain`: the columns no two rows share, separated by commas. Every model
  states one, except a check model, whose grain is the findings contract's.
- `partitioned by`: the one column holding the reporting period of a model
  whose rows belong to one (see tables.py).
- `incremental by`: `file_path`, `reporting_period` or `financial_year_start`, for
  a model rebuilt only for the files, the periods or the financial years whose
  returns changed since it was built (see tables.py for what each promises).

A key not in HEADER_KEYS (`-- partitioned_by:`, `-- grian:`), a known key
written with capitals or without its colon (`-- partitioned by reporting_period`),
a key stated twice or a value of the wrong shape is an error when the model is
loaded, naming the file and the key: a misspelt key would otherwise silently
become description, and its model, say, unpartitioned.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.sql_models.model import SqlModelError

GRAIN = "grain"
PARTITIONED_BY = "partitioned by"
INCREMENTAL_BY = "incremental by"
HEADER_KEYS = (GRAIN, PARTITIONED_BY, INCREMENTAL_BY)
# What a model may be incremental by (the columns whose rebuilding rule tables.py knows),
# and what a build counts the rows it rebuilt in.
INCREMENTAL_UNITS = {
    "file_path": "files",
    "reporting_period": "periods",
    "financial_year_start": "years",
}

_KEY_LINE = re.compile(r"^--\s*(?P<key>[A-Za-z]\w*(?:\s+[A-Za-z]\w*){0,2})\s*:\s*(?P<value>.*)$")
_COLUMN_LIST = re.compile(r"^\w+(?:\s*,\s*\w+)*$")
_KEY_WITHOUT_COLON = re.compile(
    r"^--\s*(?P<key>grain|partitioned\s+by|incremental\s+by)\s+(?P<value>\w+(?:\s*,\s*\w+)*)\s*$",
    re.IGNORECASE,
)
_COLUMN = re.compile(r"^\w+$")


@dataclass(frozen=True)
class Header:
    description: str
    grain: tuple[str, ...] | None
    partitioned_by: str | None
    incremental_by: str | None


def read_header(path: Path, sql: str) -> Header:
    """The header comment of the model in `path`, its keys checked against the contract."""
    keys: dict[str, str] = {}
    description: list[str] = []
    in_first_block = True
    for line in sql.splitlines():
        if not line.strip():
            in_first_block = False
            continue
        if not line.startswith("--"):
            break
        if missing_colon := _KEY_WITHOUT_COLON.match(line):
            key = " ".join(missing_colon["key"].lower().split())
            raise SqlModelError(
                f"{path}: header key '{key}' has no colon: write "
                f"'-- {key}: {missing_colon['value'].strip()}'"
            )
        match = _KEY_LINE.match(line)
        key = " ".join(match["key"].split()) if match else ""
        if match and (key.lower() in HEADER_KEYS or _COLUMN_LIST.match(match["value"].strip())):
            keys[key] = _checked_value(path, key, match["value"], keys)
        elif in_first_block:
            description.append(line.removeprefix("--").strip())
    grain = keys.get(GRAIN)
    if PARTITIONED_BY in keys and INCREMENTAL_BY in keys:
        raise SqlModelError(
            f"{path}: a model is either partitioned by a period or incremental, not both"
        )
    return Header(
        description="\n".join(description).strip(),
        grain=None if grain is None else tuple(column.strip() for column in grain.split(",")),
        partitioned_by=keys.get(PARTITIONED_BY),
        incremental_by=keys.get(INCREMENTAL_BY),
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
        key in (PARTITIONED_BY, INCREMENTAL_BY) and len(columns) != 1
    ):
        shape = "columns separated by commas" if key == GRAIN else "one column"
        raise SqlModelError(f"{path}: header key '{key}' takes {shape}, not '{value}'")
    if key == INCREMENTAL_BY and value not in INCREMENTAL_UNITS:
        raise SqlModelError(
            f"{path}: header key '{key}' takes {' or '.join(INCREMENTAL_UNITS)}, not '{value}'"
        )
    return value
