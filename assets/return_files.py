"""Reading one return file into its rows of text, exactly as typed.

A return is a `.csv` (UTF-8, with or without a byte-order mark, or Windows-1252
from Excel's "CSV" save) or an `.xlsx` (the sheet named `Return`, else the
first). The header is the first row that names the required columns of its kind
of return (indicator, milestone or comparator: schemas.return_contract); a title
block above it and blank rows inside the table are skipped. Nothing is parsed
here: every cell stays text, so `raw.returns` keeps the return losslessly.
A file that cannot be read at all raises `UnreadableReturnError` with a reason a
service lead can act on.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from schemas.return_contract import (
    INDICATOR_RETURN,
    RAW_COLUMNS,
    RETURN_KINDS,
    ReturnKind,
    header_key,
    kind_of_header,
)

RETURN_SUFFIXES = (".csv", ".xlsx")
# Commentary can run to pages; the csv module's default limit (128 KiB) would
# refuse a cell a service lead wrote in good faith.
csv.field_size_limit(2**31 - 1)
PREFERRED_SHEET = "return"
# A title block is a few lines; a header further down than this is not a header.
MAX_HEADER_ROW = 50


class UnreadableReturnError(Exception):
    """The file cannot be read as a return; the message says why, in plain words."""


@dataclass(frozen=True)
class ReturnFile:
    """One return file read into text rows, with what is needed to trace each row back."""

    kind: ReturnKind
    rows: pl.DataFrame  # row_number, return_kind, every raw column, extra_columns (JSON text)
    file_format: str
    sheet: str | None
    encoding: str | None
    header_row: int
    header: list[str]


def file_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def read_return(path: Path, content: bytes) -> ReturnFile:
    """Read a return's bytes (already read from `path`, so the hash and the rows agree)."""
    grid, file_format, sheet, encoding = _grid(path, content)
    returned = _from_grid(grid, file_format=file_format, sheet=sheet, encoding=encoding)
    if returned.rows.is_empty():
        raise UnreadableReturnError(
            f"the file has a header (row {returned.header_row}) but no "
            f"{returned.kind.row_noun} rows below it"
        )
    return returned


def reporting_periods_typed(path: Path, content: bytes) -> set[str]:
    """The reporting periods a return's rows are as at, as typed. Cheaper than reading the
    return: the other cells are left alone, so a folder of thousands is scanned in seconds."""
    grid, *_ = _grid(path, content)
    header_index, _, columns = _find_header(grid)
    (position,) = [p for p, column in columns.items() if column == "reporting_period"]
    return {
        cells[position]
        for cells in grid[header_index + 1 :]
        if position < len(cells) and cells[position]
    }


def _grid(path: Path, content: bytes) -> tuple[list[list[str | None]], str, str | None, str | None]:
    """The file's cells as text, its format, sheet and encoding."""
    if not content.strip():
        raise UnreadableReturnError("the file is empty")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text, encoding = _decode(content)
        if "\x00" in text:
            raise UnreadableReturnError(
                "the file holds NUL bytes, so it is not a text CSV: save it again as 'CSV UTF-8'"
            )
        return _csv_grid(text), "csv", None, encoding
    if suffix == ".xlsx":
        sheet, grid = _xlsx_grid(content)
        return grid, "xlsx", sheet, None
    raise UnreadableReturnError(f"'{suffix}' is not a return format: expected .csv or .xlsx")


def _csv_grid(text: str) -> list[list[str]]:
    # Excel's "Unicode text" save separates cells with tabs; a header line with
    # more tabs than commas says so.
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as error:
        raise UnreadableReturnError(f"the file is not well-formed CSV ({error})") from error


_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# A UTF-8 multi-byte sequence: seen in a file that does not decode as UTF-8, it
# means some lines were saved as UTF-8 and others as Windows-1252.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def _decode(content: bytes) -> tuple[str, str]:
    """UTF-8 (with or without a byte-order mark), UTF-16 with one, or Windows-1252."""
    if content.startswith(_UTF16_BOMS):
        return content.decode("utf-16"), "utf-16"
    has_bom = content.startswith(_UTF8_BOM)
    body = content[len(_UTF8_BOM) :] if has_bom else content
    try:
        return body.decode("utf-8"), "utf-8-sig" if has_bom else "utf-8"
    except UnicodeDecodeError as not_utf8:
        offset = not_utf8.start + (len(_UTF8_BOM) if has_bom else 0)
        first_bad = f"byte 0x{content[offset]:02x} at offset {offset}"
    if _UTF8_SEQUENCE.search(body):
        raise UnreadableReturnError(
            f"the file mixes UTF-8 and Windows-1252 text ({first_bad} is not UTF-8, but other "
            "characters are): save it again from Excel as 'CSV UTF-8'"
        )
    try:
        return body.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise UnreadableReturnError(
            f"the file is neither UTF-8 nor Windows-1252 text ({first_bad} cannot be decoded): "
            "save it again from Excel as 'CSV UTF-8'"
        ) from None


def _xlsx_grid(content: bytes) -> tuple[str, list[list[str | None]]]:
    # Imported here: openpyxl is only needed when a workbook arrives.
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise UnreadableReturnError(
            f"the file is not a readable Excel workbook ({type(error).__name__}: {error}): "
            "save it again from Excel as .xlsx"
        ) from error
    try:
        names = workbook.sheetnames
        if not names:
            raise UnreadableReturnError("the workbook has no sheets")
        sheet = next((n for n in names if n.strip().casefold() == PREFERRED_SHEET), names[0])
        grid = [
            [_cell_text(cell.value, cell.number_format) for cell in row]
            for row in workbook[sheet].iter_rows()
        ]
    finally:
        workbook.close()
    return sheet, grid


def _cell_text(value: object, number_format: str | None) -> str | None:
    """A workbook cell as the person typed it: 0.094 formatted `0.0%` is `9.4%`."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int | float):
        if number_format and "%" in number_format:
            return f"{_number_text(value * 100)}%"
        return _number_text(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value)


def _number_text(number: float) -> str:
    # Rounding drops binary noise (0.094 * 100 = 9.399999999999999) without losing
    # any digit a person could have typed.
    rounded = round(float(number), 10)
    return str(int(rounded)) if rounded.is_integer() else repr(rounded)


def _from_grid(
    grid: list[list[str | None]], *, file_format: str, sheet: str | None, encoding: str | None
) -> ReturnFile:
    header_index, kind, columns = _find_header(grid)
    header = [cell or "" for cell in grid[header_index]]
    records: list[dict[str, str | None]] = []
    for index in range(header_index + 1, len(grid)):
        cells = grid[index]
        if all(cell is None or not str(cell).strip() for cell in cells):
            continue
        record: dict[str, str | None] = dict.fromkeys(RAW_COLUMNS)
        extra: dict[str, str] = {}
        for position, cell in enumerate(cells):
            if cell is None or cell == "":
                continue
            column = columns.get(position)
            if column is not None:
                record[column] = cell
            else:
                extra[_extra_column_name(header, position)] = cell
        record["row_number"] = index + 1
        record["return_kind"] = kind.name
        record["extra_columns"] = json.dumps(extra, ensure_ascii=False) if extra else None
        records.append(record)
    schema = {"row_number": pl.Int32, "return_kind": pl.Utf8}
    schema |= dict.fromkeys(RAW_COLUMNS, pl.Utf8) | {"extra_columns": pl.Utf8}
    return ReturnFile(
        kind=kind,
        rows=pl.DataFrame(records, schema=schema),
        file_format=file_format,
        sheet=sheet,
        encoding=encoding,
        header_row=header_index + 1,
        header=header,
    )


def _extra_column_name(header: list[str], position: int) -> str:
    """An unknown column's name; a repeated or missing name gets its column number."""
    name = header[position].strip() if position < len(header) else ""
    repeated = name and [h.strip() for h in header].count(name) > 1
    if not name or repeated:
        return f"{name or 'column'} (column {position + 1})"
    return name


def _find_header(grid: list[list[str | None]]) -> tuple[int, ReturnKind, dict[int, str]]:
    """The first row naming every required column of its kind of return, the kind, and
    which of that kind's columns each cell is. A column of another kind is an extra one."""
    best: tuple[int, ReturnKind, set[str]] = (-1, INDICATOR_RETURN, set())
    for index, cells in enumerate(grid[:MAX_HEADER_ROW]):
        kind = kind_of_header(cells)
        by_key = kind.column_by_header_key()
        columns = {
            position: by_key[header_key(cell)]
            for position, cell in enumerate(cells)
            if cell and header_key(cell) in by_key
        }
        found = set(columns.values()) & set(kind.required)
        if len(found) == len(kind.required):
            repeated = sorted({c for c in columns.values() if list(columns.values()).count(c) > 1})
            if repeated:
                raise UnreadableReturnError(
                    f"the header (row {index + 1}) names {', '.join(repeated)} more than once: "
                    "each column may appear only once"
                )
            return index, kind, columns
        if len(found) > len(best[2]):
            best = (index, kind, found)
    best_index, kind, best_found = best
    if len(best_found) >= 2:
        missing = [c for c in kind.required if c not in best_found]
        return_name = "a return" if kind is INDICATOR_RETURN else f"a {kind.name} return"
        raise UnreadableReturnError(
            f"required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"missing from the header (row {best_index + 1}): {return_name} needs the columns "
            f"{', '.join(kind.required)}"
        )
    expected = "; or ".join(
        f"{', '.join(kind.required)} (a{'n' if kind.name[0] in 'aeiou' else ''} {kind.name} return)"
        for kind in RETURN_KINDS
    )
    raise UnreadableReturnError(
        f"no header row found within the first {MAX_HEADER_ROW} rows: expected a row naming "
        f"the columns {expected}"
    )


def discover_returns(returns_dir: Path) -> list[Path]:
    """Every return under the folder, in a stable order; Office lock files (`~$…`) skipped."""
    return sorted(
        path
        for path in returns_dir.rglob("*")
        if path.is_file()
        and path.suffix.lower() in RETURN_SUFFIXES
        and not path.name.startswith(("~$", "."))
    )
