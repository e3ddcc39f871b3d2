"""Plain CSV returns (return_files.plain_csv) parsed many files at once, giving the rows
read_return would give each of them: one parse of all the files of a header layout rather
than a Python loop over their rows. A file with a line the parse might read otherwise than
read_return is handed back, for read_return to read or refuse.
"""

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.readers.return_files import PlainCsv
from schemas.return_contract import RAW_COLUMNS


@dataclass(frozen=True)
class ParsedCsvs:
    """Plain CSV returns parsed at once: their rows (one frame per header layout), the
    files they were read from (path under the folder, hash, the file), and those the parse
    found less plain than they looked, for read_return."""

    rows: list[pl.DataFrame]
    read: list[tuple[str, str, PlainCsv]]
    less_plain: list[tuple[str, str, Path, PlainCsv]]


def parse_plain_csvs(plain: list[tuple[str, str, Path, PlainCsv]]) -> ParsedCsvs:
    """The rows of plain CSV returns as read_return gives them, from one parse of all the
    files of each header layout rather than a Python loop over their rows."""
    parsed = ParsedCsvs([], [], [])
    layouts: dict[tuple[str, ...], list[tuple[str, str, Path, PlainCsv]]] = {}
    for item in plain:
        layouts.setdefault(item[3].columns, []).append(item)
    for columns, group in layouts.items():
        lines = _lines(b"".join(found.body for *_, found in group))
        of_line = _file_of_each_row([found.rows for *_, found in group])
        unclear = set(of_line.filter(~plain_lines(lines, len(columns))).unique().to_list())
        parsed.less_plain.extend(item for index, item in enumerate(group) if index in unclear)
        group = [item for index, item in enumerate(group) if index not in unclear]
        if not group:
            continue
        rows = pl.Series([found.rows for *_, found in group])
        try:
            cells = pl.read_csv(
                b"".join(found.body for *_, found in group),
                has_header=False,
                schema=dict.fromkeys(columns, pl.Utf8),
                quote_char='"',
            )
        except pl.exceptions.PolarsError:
            cells = None
        # Never met on plain lines; but should the parse and the lines disagree, the files
        # are read_return's, not a failed run's.
        if cells is None or cells.height != rows.sum():
            parsed.less_plain.extend(group)
            continue
        of_row = _file_of_each_row(rows.to_list())
        first_row_at = (rows.cum_sum() - rows).gather(of_row)
        parsed.rows.append(
            cells.select(
                # The spreadsheet row: the header is row 1.
                (pl.int_range(pl.len()) - first_row_at + 2).cast(pl.Int32).alias("row_number"),
                pl.lit(group[0][3].kind.name).alias("return_kind"),
                *(
                    # read_return keeps no empty cell: a cell quoted empty ("") is none.
                    pl.when(pl.col(c) != "").then(pl.col(c)).alias(c)
                    if c in columns
                    else pl.lit(None, pl.Utf8).alias(c)
                    for c in RAW_COLUMNS
                ),
                pl.lit(None, pl.Utf8).alias("extra_columns"),
                pl.Series([path for path, *_ in group]).gather(of_row).alias("file_path"),
                pl.Series([digest for _, digest, *_ in group]).gather(of_row).alias("file_hash"),
                pl.lit(None, pl.Utf8).alias("sheet"),
            )
        )
        parsed.read.extend(
            (relative_path, digest, found) for relative_path, digest, _, found in group
        )
    return parsed


def _lines(text: bytes) -> pl.Series:
    # No return holds a NUL byte (plain_csv): as the separator, it leaves each line whole.
    return pl.read_csv(
        text, has_header=False, schema={"line": pl.Utf8}, quote_char=None, separator="\x00"
    ).to_series()


def _file_of_each_row(rows: list[int]) -> pl.Series:
    return pl.select(
        pl.int_range(len(rows), dtype=pl.UInt32).repeat_by(pl.Series(rows)).explode()
    ).to_series()


# A line whose quotes each enclose a whole cell, with no quote inside it: the csv module
# and a parse of many files read such a line alike. A quote anywhere else (a stray one,
# one doubled inside a cell, one opening a cell that runs on to the next line) is
# read_return's to read, or to refuse.
_PLAINLY_QUOTED_LINE = r'^(?:[^",]*|"[^"]*")(?:,(?:[^",]*|"[^"]*"))*$'
_QUOTED_CELL = r'"[^"]*"'


def plain_lines(lines: pl.Series, cells: int) -> pl.Series:
    """Whether each line is read alike by read_return and by a parse of many files: plainly
    quoted, with a cell under every column, and a letter or digit in some cell (read_return
    skips a row of blank cells, keeping the rows below their numbers)."""
    return (
        lines.to_frame("line")
        .select(
            pl.col("line").str.contains(_PLAINLY_QUOTED_LINE)
            & (
                pl.col("line")
                .str.replace_all(_QUOTED_CELL, "")
                .str.count_matches(",", literal=True)
                == cells - 1
            )
            & pl.col("line").str.contains("[0-9A-Za-z]")
            # A byte-order mark is dropped by some parsers at the start of what they read.
            & ~pl.col("line").str.contains("\ufeff", literal=True)
        )
        .fill_null(value=False)
        .to_series()
    )
