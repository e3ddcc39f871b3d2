"""Reading one return file into its rows of text, exactly as typed.

A return is a `.csv` (UTF-8, with or without a byte-order mark, or Windows-1252
from Excel's "CSV" save) or an `.xlsx` (the visible sheet named `Return`, else
the first visible sheet whose name begins `Return`, else a hidden one so named,
else the first visible one).
The header is the first row that names the required columns of its kind
of return (indicator, milestone or comparator: schemas.return_contract); a title
block above it and blank rows inside the table are skipped. Nothing is parsed
here: every cell stays text, so `raw.returns` keeps the return losslessly.
A workbook costs what its real cells cost, whatever range it declares, and one
file may cost at most MAX_FILE_BYTES, MAX_SHEET_BYTES, MAX_CELLS and
MAX_READ_SECONDS. A file that cannot be read at all raises `UnreadableReturnError`
with a reason a service lead can act on.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import json
import os
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from schemas import return_contract
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
# What one file may cost. The largest real return is a few hundred rows of some
# forty cells; these bounds are a thousand times that, and stop a tiny file that
# declares or holds millions of cells from taking the machine's memory.
MAX_FILE_BYTES = 50 * 2**20
MAX_SHEET_BYTES = 200 * 2**20  # a workbook's sheet, unzipped
MAX_CELLS = 1_000_000
MAX_READ_SECONDS = 60.0
# A version of the reader: the text of this module and of the contract it reads
# headers by. A file quarantined by another version is read again.
READER_VERSION = hashlib.sha256(
    Path(__file__).read_bytes() + Path(return_contract.__file__).read_bytes()
).hexdigest()[:16]
# The file_hash of a file whose bytes were never read (it vanished, could not be
# opened, or is a link out of the returns folder).
NOT_READ = "not read"

# A row of cells by position (0 is column A); a position absent is an empty cell.
Row = dict[int, str | None]


class UnreadableReturnError(Exception):
    """The file cannot be read as a return; the message says why, in plain words."""


@dataclass(frozen=True)
class FormulaCell:
    """A workbook cell holding a formula with no saved value: its text is kept as the cell."""

    row_number: int
    cell: str  # `H12`
    column_name: str
    formula: str


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
    sheet_choice: str | None = None  # why this sheet, where the choice was not obvious
    formula_cells: list[FormulaCell] = field(default_factory=list)


@dataclass
class _Grid:
    """A file's cells as text: (row number, row) for each row that has a cell."""

    rows: list[tuple[int, Row]]
    file_format: str
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str = ","
    sheet_choice: str | None = None
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, position)
    unclosed_quote: tuple[int, int] | None = None  # (row, position) of a CSV's open quote


def file_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def read_return_bytes(path: Path) -> bytes:
    """A return's bytes, or the reason, in plain words, that they cannot be read."""
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise UnreadableReturnError(
                    f"the file is {size / 2**20:.0f} MiB, more than any return "
                    f"({MAX_FILE_BYTES // 2**20} MiB at most): check it is the return, "
                    "and send the return alone"
                )
            return file.read()
    except FileNotFoundError:
        raise UnreadableReturnError(
            "the file disappeared from the returns folder while the run was reading it: "
            "if it was being replaced, the next run reads the new file"
        ) from None
    except PermissionError:
        raise UnreadableReturnError(
            "the file cannot be opened (permission denied): let the pipeline read it, "
            "or copy it into the folder again"
        ) from None
    except IsADirectoryError:
        raise UnreadableReturnError(
            "this is a folder named like a return, not a file: rename the folder"
        ) from None
    except OSError as error:
        raise UnreadableReturnError(
            f"the file could not be read ({error.strerror or error}): copy it into the folder again"
        ) from None


def read_return(path: Path, content: bytes) -> ReturnFile:
    """Read a return's bytes (already read from `path`, so the hash and the rows agree)."""
    grid = _grid(path, content)
    returned = _from_grid(grid)
    if returned.rows.is_empty():
        raise UnreadableReturnError(
            f"the file has a header (row {returned.header_row}) but no "
            f"{returned.kind.row_noun} rows below it"
        )
    return returned


def reporting_periods_typed(path: Path, content: bytes) -> set[str]:
    """The reporting periods a return's rows are as at, as typed. Cheaper than reading the
    return: below the header only the period's cells are read, so a folder of thousands is
    scanned in seconds."""
    grid = _grid(path, content, periods_only=True)
    header_at, _, columns = _locate_header(grid)
    (position,) = [p for p, column in columns.items() if column == "reporting_period"]
    return {text for _, cells in grid.rows[header_at + 1 :] if (text := cells.get(position))}


def reporting_periods_typed_in(paths: list[Path]) -> set[str]:
    """The reporting periods the given returns' rows are as at, as typed; a file that
    cannot be read has none (the run's ingest quarantines it, with its reason). The plain
    CSVs of one header layout are parsed together, their period column only; any other
    file, or a layout whose parse disagrees with its line count, one file at a time."""
    typed: set[str] = set()
    layouts: dict[tuple[str, ...], list[tuple[Path, PlainCsv]]] = {}
    one_at_a_time: list[tuple[Path, bytes]] = []
    for path in paths:
        try:
            content = read_return_bytes(path)
            found = plain_csv(path, content)
        except UnreadableReturnError:
            continue
        if found is None:
            one_at_a_time.append((path, content))
        else:
            layouts.setdefault(found.columns, []).append((path, found))
    for columns, group in layouts.items():
        try:
            periods = pl.read_csv(
                b"".join(found.body for _, found in group),
                has_header=False,
                schema=dict.fromkeys(columns, pl.Utf8),
                columns=[columns.index("reporting_period")],
                quote_char='"',
            ).to_series()
        except pl.exceptions.PolarsError:
            periods = None
        if periods is not None and periods.len() == sum(found.rows for _, found in group):
            typed |= set(periods.drop_nulls().unique().to_list()) - {""}
        else:
            one_at_a_time.extend((path, found.content) for path, found in group)
    for path, content in one_at_a_time:
        try:
            typed |= reporting_periods_typed(path, content)
        # Unreadable: as above, the ingest says why.
        except Exception:  # noqa: BLE001
            continue
    return typed


@dataclass(frozen=True)
class PlainCsv:
    """A CSV return that looks plain enough for one parse of many files to read it as
    read_return would: UTF-8, its header on the first line naming contract columns only,
    no blank line. The parse checks each line below (plain_csvs.plain_lines)."""

    # What read_return would record of such a file beside its rows: a CSV has no sheet
    # to choose and no formulas.
    file_format: ClassVar[str] = "csv"
    sheet: ClassVar[str | None] = None
    header_row: ClassVar[int] = 1
    sheet_choice: ClassVar[str | None] = None
    formula_cells: ClassVar[tuple[FormulaCell, ...]] = ()

    kind: ReturnKind
    columns: tuple[str, ...]  # the contract column of each header cell, in order
    header: list[str]
    encoding: str
    content: bytes  # as read, for read_return where a line is less plain
    body: bytes  # the lines below the header, each ending in a line feed
    rows: int


@functools.cache
def _column_by_header_key(kind: ReturnKind) -> dict[str, str]:
    return kind.column_by_header_key()


def plain_csv(path: Path, content: bytes) -> PlainCsv | None:
    """The file as a PlainCsv, or None where anything about it is unusual (a workbook, a
    title block, an encoding other than UTF-8, a blank line, a header naming an unknown
    column or a column twice): read_return reads those, or refuses them."""
    if path.suffix.lower() != ".csv" or b"\x00" in content:
        return None
    encoding = "utf-8-sig" if content.startswith(_UTF8_BOM) else "utf-8"
    text = content.removeprefix(_UTF8_BOM)
    if not text.isascii():
        try:
            text.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if b"\r" in text:
        # A carriage return is plain only as half of a line break.
        if text.count(b"\r") != text.count(b"\r\n"):
            return None
        text = text.replace(b"\r\n", b"\n")
    header_line, _, body = text.partition(b"\n")
    if not body.endswith(b"\n"):
        body += b"\n"
    if body == b"\n" or body.startswith(b"\n") or b"\n\n" in body:
        return None
    if b'"' in header_line or b"\t" in header_line:
        return None
    header = header_line.decode("utf-8").split(",")
    kind = kind_of_header(header)
    by_key = _column_by_header_key(kind)
    named = [by_key.get(header_key(cell)) for cell in header]
    columns = tuple(column for column in named if column is not None)
    if len(set(columns)) < len(named) or set(kind.required) - set(columns):
        return None
    rows = body.count(b"\n")
    if (rows + 1) * len(columns) > MAX_CELLS:
        return None
    return PlainCsv(kind, columns, header, encoding, content, body, rows)


_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


def _grid(path: Path, content: bytes, *, periods_only: bool = False) -> _Grid:
    """The file's cells as text, its format, sheet and encoding."""
    if not content.strip():
        raise UnreadableReturnError("the file is empty")
    suffix = path.suffix.lower()
    if suffix not in RETURN_SUFFIXES:
        raise UnreadableReturnError(f"'{suffix}' is not a return format: expected .csv or .xlsx")
    if content.startswith(_OLE_MAGIC):
        raise UnreadableReturnError(_old_office_file_reason(content))
    if suffix == ".csv":
        if content.startswith(_ZIP_MAGIC):
            raise UnreadableReturnError(
                "the file is an Excel workbook (.xlsx) named .csv: rename it to .xlsx, or "
                "save it from Excel as 'CSV UTF-8'"
            )
        text, encoding = _decode(content)
        if "\x00" in text:
            raise UnreadableReturnError(
                "the file holds NUL bytes, so it is not a text CSV: save it again as 'CSV UTF-8'"
            )
        rows, delimiter = _csv_rows(text)
        grid = _Grid(rows, "csv", encoding=encoding, delimiter=delimiter)
        grid.unclosed_quote = _unclosed_quote(text, rows, delimiter)
        return grid
    return _xlsx_grid(content, periods_only=periods_only)


def _old_office_file_reason(content: bytes) -> str:
    # A password-protected .xlsx is stored inside an OLE container, as an old .xls is.
    if _ENCRYPTED_PACKAGE in content:
        return (
            "the workbook is protected by a password, so it cannot be read: remove the "
            "password (File > Info > Protect Workbook > Encrypt with Password, clear it), "
            "save it as .xlsx and send it again"
        )
    return (
        "the file is an Excel 97-2003 workbook (.xls) or another old Office file, not .xlsx: "
        "open it in Excel and save it as 'Excel Workbook (.xlsx)'"
    )


def _csv_rows(text: str, delimiter: str | None = None) -> tuple[list[tuple[int, Row]], str]:
    # Excel's "Unicode text" save separates cells with tabs; a header line with
    # more tabs than commas says so.
    if delimiter is None:
        first_line = text.split("\n", 1)[0]
        delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    rows: list[tuple[int, Row]] = []
    cells_read = 0
    try:
        for number, row in enumerate(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1
        ):
            cells_read += len(row)
            if cells_read > MAX_CELLS:
                raise UnreadableReturnError(
                    f"the file holds more than {MAX_CELLS:,} cells, more than any return: "
                    "check it is the return, and send the return alone"
                )
            rows.append((number, dict(enumerate(row))))
    except csv.Error as error:
        raise UnreadableReturnError(f"the file is not well-formed CSV ({error})") from error
    return rows, delimiter


def _unclosed_quote(
    text: str, rows: list[tuple[int, Row]], delimiter: str
) -> tuple[int, int] | None:
    """The row and position of a cell whose quote is never closed, folding every line below
    it into that cell. Only the last row can hold one, and only a cell holding line breaks;
    the csv module, in its strict mode, says whether the file ended inside a quote."""
    if not rows:
        return None
    row_number, last = rows[-1]
    folded = [p for p, cell in last.items() if cell and "\n" in cell.rstrip("\r\n")]
    if not folded:
        return None
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            return row_number, folded[-1]
    return None


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


def _xlsx_grid(content: bytes, *, periods_only: bool = False) -> _Grid:
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
        worksheet, sheet_choice = _choose_sheet(workbook.worksheets)
        grid = _Grid([], "xlsx", sheet=worksheet.title, sheet_choice=sheet_choice)
        for row_number, row in _sheet_rows(workbook, worksheet, grid.formulas, periods_only):
            grid.rows.append((row_number, row))
    finally:
        workbook.close()
    return grid


def _choose_sheet(worksheets: list[Any]) -> tuple[Any, str | None]:
    """The sheet to read and, where the choice was not obvious, why it was read: the
    visible sheet named Return, else the first visible one whose name begins Return, else
    a hidden one so named, else the first visible sheet. A hidden sheet is taken to be out
    of date, so a visible one is read in preference."""
    if not worksheets:
        raise UnreadableReturnError("the workbook has no sheets")
    visible = [s for s in worksheets if s.sheet_state == "visible"]
    hidden = [s for s in worksheets if s.sheet_state != "visible"]

    def named(sheet: Any) -> str:
        return sheet.title.strip().casefold()

    exact = [s for s in visible if named(s) == PREFERRED_SHEET]
    if exact:
        return exact[0], None
    begins = [s for s in visible if named(s).startswith(PREFERRED_SHEET)]
    hidden_returns = [s for s in hidden if named(s).startswith(PREFERRED_SHEET)]
    if begins:
        if hidden_returns:
            return begins[0], (
                f"sheet '{begins[0].title}' was read: the sheet named "
                f"'{hidden_returns[0].title}' is hidden, so taken to be out of date"
            )
        if len(begins) > 1:
            return begins[0], (
                f"sheet '{begins[0].title}' was read, the first of {len(begins)} visible "
                "sheets whose names begin 'Return'"
            )
        return begins[0], None
    if hidden_returns:
        return hidden_returns[0], (
            f"sheet '{hidden_returns[0].title}' was read although it is hidden: no visible "
            "sheet is named Return"
        )
    chosen = (visible or worksheets)[0]
    if len(visible) > 1:
        return chosen, (
            f"sheet '{chosen.title}' was read, the first of {len(visible)} visible sheets: "
            "none is named 'Return'"
        )
    return chosen, None


def _sheet_rows(
    workbook: Any, worksheet: Any, formulas: dict[tuple[int, int], str], periods_only: bool
) -> Iterator[tuple[int, Row]]:
    """The sheet's rows that hold a cell, as text: only the cells the file holds are read,
    whatever range the sheet declares. With `periods_only`, below the header only the
    reporting period's cells are read. The workbook's parts are reached through openpyxl's
    read-only workbook (its archive, the sheet's part, shared strings, styles: openpyxl is
    pinned), since its rows are padded to the declared range."""
    sheet_bytes = workbook._archive.getinfo(worksheet._worksheet_path).file_size
    if sheet_bytes > MAX_SHEET_BYTES:
        raise UnreadableReturnError(
            f"the sheet '{worksheet.title}' holds {sheet_bytes / 2**20:.0f} MiB of cells, more "
            f"than any return ({MAX_SHEET_BYTES // 2**20} MiB at most): check the sheet holds "
            "only the return, and send it again"
        )
    percent_styles = _percent_styles(workbook)
    cells_read = 0
    rows_seen: set[int] = set()
    started = time.monotonic()
    with workbook._archive.open(worksheet._worksheet_path) as source:
        parser = _saved_value_parser()(
            source,
            worksheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for row_number, cells in parser.parse():
            # A row is numbered by the sheet itself (`<row r=...>`). Excel never gives one
            # number twice; a damaged or hand-made file may, and its rows would then share
            # the lineage that names them.
            if row_number in rows_seen:
                raise UnreadableReturnError(
                    f"the sheet '{worksheet.title}' numbers two rows {row_number}, which "
                    "Excel never does: the workbook is damaged; open it in Excel, save it "
                    "again as .xlsx and send it again"
                )
            rows_seen.add(row_number)
            cells_read += len(cells)
            if cells_read > MAX_CELLS:
                raise UnreadableReturnError(
                    f"the sheet '{worksheet.title}' holds more than {MAX_CELLS:,} cells, more "
                    "than any return: check the sheet holds only the return, and send it again"
                )
            if time.monotonic() - started >= MAX_READ_SECONDS:
                raise UnreadableReturnError(
                    f"reading the sheet '{worksheet.title}' took more than "
                    f"{MAX_READ_SECONDS:.0f} s, far longer than any return: check the sheet "
                    "holds only the return, and send it again"
                )
            row: Row = {}
            for cell in cells:
                if cell is None or cell["value"] is None:
                    continue
                position = cell["column"] - 1
                if cell["data_type"] == _FORMULA:
                    formulas[(row_number, position)] = cell["value"]
                    row[position] = cell["value"]
                else:
                    row[position] = _cell_text(cell["value"], cell["style_id"] in percent_styles)
            if row:
                yield row_number, row
            if periods_only and parser.keep_columns is None and row_number <= MAX_HEADER_ROW:
                matched = _header_match(row)
                # The header, not a title block's "Reporting period" label: every required
                # column is named.
                if matched is not None and len(matched[2]) == len(matched[0].required):
                    period_at = next(p for p, c in matched[1].items() if c == "reporting_period")
                    parser.keep_columns = {period_at + 1}


_FORMULA = "formula"


def _percent_styles(workbook: Any) -> set[int]:
    """The workbook's cell styles that show a number as a per cent."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE

    def number_format(format_id: int) -> str:
        if format_id < BUILTIN_FORMATS_MAX_SIZE:
            return BUILTIN_FORMATS.get(format_id, "General")
        return workbook._number_formats[format_id - BUILTIN_FORMATS_MAX_SIZE]

    return {
        style_id
        for style_id, style in enumerate(workbook._cell_styles)
        if "%" in number_format(style.numFmtId)
    }


@functools.cache
def _saved_value_parser() -> type:
    from openpyxl.utils.cell import column_index_from_string
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class SavedValueParser(WorkSheetParser):
        """openpyxl's sheet parser reading each formula's saved value; a formula saved with
        none (a workbook written by a program, never opened in Excel) keeps its text,
        marked, rather than becoming a silent blank. With `keep_columns`, the other
        columns' cells are passed over unread."""

        keep_columns: set[int] | None = None

        def parse_cell(self, element: Any) -> dict[str, Any] | None:
            if self.keep_columns is not None:
                reference = element.get("r")
                column = (
                    column_index_from_string(reference.rstrip("0123456789"))
                    if reference
                    else self.col_counter + 1
                )
                self.col_counter = column
                if column not in self.keep_columns:
                    return None
            cell = super().parse_cell(element)
            if cell["value"] is None and (formula := element.find(FORMULA_TAG)) is not None:
                cell["value"] = f"={formula.text or '(a shared formula)'}"
                cell["data_type"] = _FORMULA
            return cell

    return SavedValueParser


def _cell_text(value: object, is_percent: bool) -> str | None:
    """A workbook cell as the person typed it: 0.094 formatted `0.0%` is `9.4%`."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int | float):
        if is_percent:
            return f"{_number_text(value * 100)}%"
        return _number_text(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value)


def _number_text(number: float) -> str:
    """A number as positional digits, never scientific (0.00005, not 5e-05). Fifteen
    significant digits drop binary noise (0.094 * 100 = 9.399999999999999) without losing
    any digit a person could have typed."""
    return format(Decimal(f"{float(number):.15g}"), "f")


def _from_grid(grid: _Grid) -> ReturnFile:
    header_at, kind, columns = _locate_header(grid)
    header_row, header_cells = grid.rows[header_at]
    header = [header_cells.get(p) or "" for p in range(max(header_cells, default=-1) + 1)]
    body = grid.rows[header_at + 1 :]
    if grid.file_format == "csv":
        _refuse_swallowed_rows(body, columns, grid.delimiter)
        _refuse_unclosed_quote(grid, columns)
    records: list[dict[str, str | None]] = []
    extra_names: dict[int, str] = {}
    for row_number, cells in body:
        if all(cell is None or not str(cell).strip() for cell in cells.values()):
            continue
        record: dict[str, str | None] = dict.fromkeys(RAW_COLUMNS)
        extra: dict[str, str] = {}
        for position, cell in cells.items():
            if cell is None or cell == "":
                continue
            column = columns.get(position)
            if column is not None:
                record[column] = cell
            else:
                if position not in extra_names:
                    extra_names[position] = _extra_column_name(header, position)
                extra[extra_names[position]] = cell
        record["row_number"] = row_number
        record["return_kind"] = kind.name
        record["extra_columns"] = json.dumps(extra, ensure_ascii=False) if extra else None
        records.append(record)
    schema = {"row_number": pl.Int32, "return_kind": pl.Utf8}
    schema |= dict.fromkeys(RAW_COLUMNS, pl.Utf8) | {"extra_columns": pl.Utf8}
    return ReturnFile(
        kind=kind,
        rows=pl.DataFrame(records, schema=schema),
        file_format=grid.file_format,
        sheet=grid.sheet,
        encoding=grid.encoding,
        header_row=header_row,
        header=header,
        sheet_choice=grid.sheet_choice,
        formula_cells=[
            FormulaCell(
                row_number=row_number,
                cell=f"{_column_letter(position)}{row_number}",
                column_name=columns.get(position) or _extra_column_name(header, position),
                formula=formula,
            )
            for (row_number, position), formula in sorted(grid.formulas.items())
            if row_number > header_row
        ],
    )


def _column_letter(position: int) -> str:
    letters = ""
    number = position + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _refuse_swallowed_rows(
    body: list[tuple[int, Row]], columns: dict[int, str], delimiter: str
) -> None:
    """A quote (") that opens a cell and is never closed folds the lines below it into that
    cell: the rows on them would be neither loaded nor quarantined. A cell holding line
    breaks followed by lines that read as rows of the same return says it happened."""
    (authority_at,) = [p for p, column in columns.items() if column == "authority"]
    for row_number, cells in body:
        authority = (cells.get(authority_at) or "").strip()
        if not authority:
            continue
        for position, cell in cells.items():
            if not cell or "\n" not in cell:
                continue
            lines = cell.splitlines()[1:]
            swallowed = [
                fields
                for fields in csv.reader(lines, delimiter=delimiter)
                if len(fields) > authority_at and fields[authority_at].strip() == authority
            ]
            if swallowed:
                column = columns.get(position, f"column {_column_letter(position)}")
                raise UnreadableReturnError(
                    f"row {row_number}'s {column} cell opens a quote (\") that is not closed "
                    f"where the cell ends, so {len(swallowed)} row"
                    f"{'s' if len(swallowed) > 1 else ''} below it "
                    f"{'were' if len(swallowed) > 1 else 'was'} read as part of that cell and "
                    "would be lost: remove the stray quote, or close it, and send the file again"
                )


def _refuse_unclosed_quote(grid: _Grid, columns: dict[int, str]) -> None:
    """A quote never closed folds every line below it into one cell: refused, whatever the
    lines hold, rather than loading them as one cell's text."""
    if grid.unclosed_quote is None:
        return
    row_number, position = grid.unclosed_quote
    cell = grid.rows[-1][1][position] or ""
    lines = cell.rstrip("\r\n").count("\n")
    column = columns.get(position, f"column {_column_letter(position)}")
    raise UnreadableReturnError(
        f"row {row_number}'s {column} cell opens a quote (\") that is never closed, so the "
        f"{lines} line{'s' if lines > 1 else ''} below it {'were' if lines > 1 else 'was'} "
        "read as part of that cell: remove the stray quote, or close it, and send the file "
        "again"
    )


def _extra_column_name(header: list[str], position: int) -> str:
    """An unknown column's name; a repeated or missing name gets its column number."""
    name = header[position].strip() if position < len(header) else ""
    repeated = name and [h.strip() for h in header].count(name) > 1
    if not name or repeated:
        return f"{name or 'column'} (column {position + 1})"
    return name


def _header_match(cells: Row) -> tuple[ReturnKind, dict[int, str], set[str]] | None:
    """The kind of return a row would be the header of, which of that kind's columns each
    cell is, and the required columns it names; None for a row naming none."""
    values = list(cells.values())
    kind = kind_of_header(values)
    by_key = kind.column_by_header_key()
    columns = {
        position: by_key[header_key(cell)]
        for position, cell in cells.items()
        if cell and header_key(cell) in by_key
    }
    found = set(columns.values()) & set(kind.required)
    return (kind, columns, found) if found else None


def _locate_header(grid: _Grid) -> tuple[int, ReturnKind, dict[int, str]]:
    """_find_header; a CSV whose header is found only when split at semicolons says so."""
    try:
        return _find_header(grid.rows)
    except UnreadableReturnError as no_header:
        if grid.file_format != "csv":
            raise
        # The grid was split at commas: joined again, each line splits at semicolons.
        split_at_semicolons = [
            (number, dict(enumerate(",".join(c or "" for c in cells.values()).split(";"))))
            for number, cells in grid.rows[:MAX_HEADER_ROW]
        ]
        try:
            _find_header(split_at_semicolons)
        except UnreadableReturnError:
            raise no_header from None
        raise UnreadableReturnError(
            "the file separates its cells with semicolons (;), as Excel does where a comma "
            "is the decimal mark: save it again from Excel as 'CSV UTF-8 (Comma delimited)', "
            "or change Windows' list separator to a comma first"
        ) from None


def _find_header(rows: list[tuple[int, Row]]) -> tuple[int, ReturnKind, dict[int, str]]:
    """The first row naming every required column of its kind of return (its index among
    the rows), the kind, and which of that kind's columns each cell is. A column of another
    kind is an extra one."""
    best: tuple[int, ReturnKind, set[str]] = (-1, INDICATOR_RETURN, set())
    for index, (row_number, cells) in enumerate(rows):
        if row_number > MAX_HEADER_ROW:
            break
        matched = _header_match(cells)
        if matched is None:
            continue
        kind, columns, found = matched
        if len(found) == len(kind.required):
            named = list(columns.values())
            repeated = sorted({c for c in named if named.count(c) > 1})
            if repeated:
                raise UnreadableReturnError(
                    f"the header (row {row_number}) names {', '.join(repeated)} more than "
                    "once: each column may appear only once"
                )
            return index, kind, columns
        if len(found) > len(best[2]):
            best = (row_number, kind, found)
    best_row, kind, best_found = best
    if len(best_found) >= 2:
        missing = [c for c in kind.required if c not in best_found]
        return_name = "a return" if kind is INDICATOR_RETURN else f"a {kind.name} return"
        raise UnreadableReturnError(
            f"required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"missing from the header (row {best_row}): {return_name} needs the columns "
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


def scan_returns_folder(returns_dir: Path) -> tuple[list[Path], list[Path]]:
    """Every return under the folder, in a stable order, Office lock files (`~$…`) skipped;
    and, apart, the links named like returns that lead out of the folder (or nowhere),
    which are never followed."""
    root = returns_dir.resolve()
    returns: list[Path] = []
    links_out: list[Path] = []
    for path in sorted(returns_dir.rglob("*")):
        if path.suffix.lower() not in RETURN_SUFFIXES or path.name.startswith(("~$", ".")):
            continue
        target = path.resolve()
        if not target.is_relative_to(root) or (path.is_symlink() and not target.exists()):
            links_out.append(path)
        elif path.is_file():
            returns.append(path)
    return returns, links_out


def discover_returns(returns_dir: Path) -> list[Path]:
    """Every return under the folder that may be read, in a stable order."""
    return scan_returns_folder(returns_dir)[0]
