"""How the cells of a return are read: each messy form people type, as a Polars expression.

The gate uses these both to judge a row (a target that does not parse rejects it)
and to type the rows it accepts, so each form is read in exactly one place.
Every function takes an expression over a text column and returns an expression;
DistinctCells applies them to a column's distinct cells only, as the gate does.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

# A number as typed: optional sign, thousands separators in groups of three,
# decimals, an optional per cent sign. `1,412,857` `94.19%` `-6.25%` `12.5` `.5`
# ASCII digits: other scripts' digits are no number a cast can read either.
_NUMBER = r"^[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.[0-9]+)?%?$"
_HAS_DIGIT = r"[0-9]"
_DASHES = "\u2212\u2013\u2014"  # minus sign, en dash, em dash typed for a minus


class DistinctCells:
    """The text columns of a frame, each read once per distinct cell and the reading spread
    back to its rows. A batch's cells repeat (a period, a polarity, the same few thousand
    numbers, blanks), so a million rows hold a few thousand cells to read: reading every
    cell with these regular expressions cost ten times as much. Each column's distinct
    cells are found once, however many readings are made of it."""

    def __init__(self, rows: pl.DataFrame) -> None:
        self._rows = rows
        self._distinct: dict[str, tuple[pl.Series, pl.Series]] = {}

    def read(self, column: str, reads: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
        """The column read by `reads`, a function of this module, named as the column."""
        if column not in self._distinct:
            cells = self._rows[column]
            distinct = cells.drop_nulls().unique()
            position = cells.cast(pl.Enum(distinct)).to_physical().cast(pl.UInt32)
            # A null cell's reading goes last: some readings give a blank cell a value.
            self._distinct[column] = (
                pl.concat([distinct, pl.Series([None], dtype=pl.Utf8)]),
                position.fill_null(distinct.len()),
            )
        distinct, position = self._distinct[column]
        readings = distinct.to_frame("cell").select(reads(pl.col("cell"))).to_series()
        return readings.gather(position).alias(column)


def read_each_distinct(column: pl.Series, reads: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """`reads` applied once to each distinct cell of the column (DistinctCells)."""
    return DistinctCells(column.to_frame()).read(column.name, reads)


def blank_to_null(cell: pl.Expr) -> pl.Expr:
    """Strip a cell; an empty or whitespace-only cell is no cell at all."""
    stripped = cell.str.strip_chars()
    return pl.when(stripped.str.len_chars() > 0).then(stripped)


# Spaces typed inside a number: between a sign and the digits, before a per cent
# sign, and between digits, where they are thousands separators (`1 412 857`, also
# with a no-break or thin space). A space between digits stands for a comma, so
# `12 5` is no number: only groups of three make one.
_SPACE_AFTER_SIGN = rf"^([+\-{_DASHES}])\s+"
_SPACE_BEFORE_PER_CENT = r"\s+%$"
_SPACE_BETWEEN_DIGITS = r"([0-9])\s([0-9])"


def _number_text(cell: pl.Expr) -> pl.Expr:
    return (
        blank_to_null(cell)
        .str.replace(_SPACE_AFTER_SIGN, "$1")
        .str.replace(_SPACE_BEFORE_PER_CENT, "%")
        .str.replace_all(_SPACE_BETWEEN_DIGITS, "$1,$2")
        .str.replace(f"^[{_DASHES}]", "-")
    )


def parse_number(cell: pl.Expr) -> pl.Expr:
    """A number in any typed form, per cents kept in points (`94.19%` is 94.19); else null."""
    text = _number_text(cell)
    is_number = text.str.contains(_NUMBER) & text.str.contains(_HAS_DIGIT)
    number = text.str.replace_all(",", "").str.strip_suffix("%").cast(pl.Float64, strict=False)
    # Four hundred nines is digits, but not a number anyone can compute with.
    return pl.when(is_number & number.is_finite()).then(number)


def authority_key(cell: pl.Expr) -> pl.Expr:
    """What makes an authority itself: its name's letters and digits, in any case. The case,
    spacing and punctuation of `REDSHIRE`, `Redshire` or `St. Helens` make no new authority."""
    return blank_to_null(cell).str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]", "")


def is_formula(cell: pl.Expr) -> pl.Expr:
    """A cell holding a formula rather than its value: a workbook written by a program and
    never opened in Excel saves none, and the reader keeps the formula's text (`=B2*2`)."""
    return blank_to_null(cell).str.starts_with("=")


def is_not_applicable(cell: pl.Expr) -> pl.Expr:
    """A cell left blank or marked as not applicable on purpose: `N/A`, `n/a`, `-`, `None`."""
    text = blank_to_null(cell).str.to_lowercase()
    return text.is_null() | text.str.contains(r"^(?:n/?a|-|\u2013|\u2014|none|not applicable)$")


def unreadable(cell: pl.Expr, reads: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """A printed cell that holds something, not N/A, that `reads` cannot make sense of."""
    return ~is_not_applicable(cell) & reads(cell).is_null()


def value_note(cell: pl.Expr) -> pl.Expr:
    """The text of a value cell that holds no number (`To be reported in Q3`, `N/A`, `-`)."""
    text = blank_to_null(cell)
    return pl.when(parse_number(cell).is_null()).then(text)


def parse_financial_year_start(cell: pl.Expr) -> pl.Expr:
    """The calendar year a financial year starts in: `2024-25`, `2024/25`, `2024-2025` -> 2024.

    The second year must follow the first, so `2024-26` is no year.
    """
    text = blank_to_null(cell)
    parts = text.str.extract_groups(r"(?:^|\D)(\d{4})\s*[-/\u2013]\s*(\d{4}|\d{2})(?:\D|$)")
    start = parts.struct.field("1").cast(pl.Int32, strict=False)
    end_text = parts.struct.field("2")
    end = end_text.cast(pl.Int32, strict=False)
    follows = (
        pl.when(end_text.str.len_chars() == 2)
        .then(end == (start + 1) % 100)
        .otherwise(end == start + 1)
    )
    return pl.when(follows).then(start)


def parse_period_quarter(cell: pl.Expr) -> pl.Expr:
    """The quarter a reporting period is as at: `Q2`, `Quarter 2`; `Outturn`/`Year end` is Q4."""
    text = blank_to_null(cell).str.to_lowercase()
    quarter = text.str.extract(r"(?:^|[^a-z])q(?:uarter|tr)?\s*([1-4])(?:\D|$)").cast(pl.Int8)
    year_end = text.str.contains(r"\b(?:outturn|year[ -]end)\b")
    return pl.when(quarter.is_not_null()).then(quarter).when(year_end).then(pl.lit(4, pl.Int8))


def parse_priority_number(cell: pl.Expr) -> pl.Expr:
    """The priority number that joins: `3`, `Priority 3 - Create safe ...`, `P3`."""
    text = blank_to_null(cell)
    return text.str.extract(
        r"(?i)^(?:priority|p)?\s*(\d{1,2})(?:\s*$|\s*[-\u2013\u2014:.)]|\s)"
    ).cast(pl.Int16)


def parse_priority_name(cell: pl.Expr) -> pl.Expr:
    """The words after the number in `Priority 3 - Create safe and strong communities`."""
    name = blank_to_null(cell).str.extract(
        r"(?i)^(?:priority|p)?\s*\d{1,2}(?:\s*[-\u2013\u2014:.)]\s*|\s+)(.+)$"
    )
    return blank_to_null(name)


def parse_tier(cell: pl.Expr) -> pl.Expr:
    """`1`, `2`, `Tier 1`."""
    return blank_to_null(cell).str.extract(r"(?i)^(?:tier\s*)?([12])$").cast(pl.Int8)


def parse_polarity(cell: pl.Expr) -> pl.Expr:
    """`Higher` or `Lower` (any case, `Higher is better` too)."""
    word = blank_to_null(cell).str.to_lowercase().str.extract(r"^(higher|lower)\b")
    return word.str.to_titlecase()


def parse_measure_type(cell: pl.Expr) -> pl.Expr:
    """`snapshot` (also when blank) or `cumulative`; anything else is null."""
    text = blank_to_null(cell).str.to_lowercase()
    return (
        pl.when(text.is_null())
        .then(pl.lit("snapshot"))
        .when(text.is_in(["snapshot", "cumulative"]))
        .then(text)
    )


def parse_quartile(cell: pl.Expr) -> pl.Expr:
    """`1st Quartile`, `2 nd Quartile`, `4th quartile`, `3`, `Quartile 2`, and the same
    with averages run into the cell; `N/A` or an unreadable cell is null."""
    text = blank_to_null(cell).str.to_lowercase()
    ordinal = text.str.extract(r"^([1-4])\s*(?:st|nd|rd|th)?\s*(?:quartile\b|$)")
    named = text.str.extract(r"^quartile\s*([1-4])\b")
    return pl.coalesce(ordinal, named).cast(pl.Int8)


def parse_cell_average(cell: pl.Expr, label: str) -> pl.Expr:
    """An average run into a quartile cell: `Eng Av. 71` (label `Eng`), `LA Av. 114` (`LA|NW`)."""
    number = blank_to_null(cell).str.extract(rf"(?i)\b(?:{label})\s*Av\.?\s*(-?[\d,]*\.?\d+)")
    return parse_number(number)


def parse_cell_comparator_period(cell: pl.Expr) -> pl.Expr:
    """The comparison year in brackets at the end of a quartile cell: `(2022/23)`, `(2023)`."""
    return blank_to_null(cell).str.extract(r"\((\d{4}(?:[/-]\d{2,4})?)\)\s*$")


_TREND_WORDS = {
    "improved": "improved",
    "improving": "improved",
    "better": "improved",
    "worse": "worse",
    "worsened": "worse",
    "declined": "worse",
    "same": "same",
    "no change": "same",
    "unchanged": "same",
}
_TREND_ARROWS = {
    "\u2191": "improved",  # ↑
    "\u25b2": "improved",  # ▲
    "\u2b06": "improved",  # ⬆
    "\u2193": "worse",  # ↓
    "\u25bc": "worse",  # ▼
    "\u2b07": "worse",  # ⬇
    "\u2194": "same",  # ↔
    "\u25c4\u25ba": "same",  # ◄►
    "\u27f7": "same",  # ⟷
}


def parse_reported_trend(cell: pl.Expr) -> pl.Expr:
    """The trend a service printed: an arrow or a word; `N/A` or a lost glyph is null."""
    text = blank_to_null(cell).str.to_lowercase()
    return text.replace_strict(
        {**_TREND_WORDS, **_TREND_ARROWS}, default=None, return_dtype=pl.Utf8
    )


# Halton's progress symbols and the words people type for them. A cross typed
# as the letter x is as common as the glyph.
_PROGRESS = {
    "on course": r"^(?:\u2713|\u2714|\u2611|tick|on course|on track|green|g)$",
    "uncertain": r"^(?:\?|uncertain|too early to say|amber|a)$",
    "not achieved": r"^(?:\u2717|\u2718|\u2715|\u2716|x|cross|not achieved|will not be achieved"
    r"|off track|red|r)$",
}


def parse_progress(cell: pl.Expr) -> pl.Expr:
    """A milestone's progress: `on course`, `uncertain` or `not achieved`, from the symbol or
    the words for it; null where the cell is blank or says something else."""
    text = blank_to_null(cell).str.to_lowercase().str.replace_all(r"\s+", " ")
    return pl.coalesce(
        pl.when(text.str.contains(pattern)).then(pl.lit(name))
        for name, pattern in _PROGRESS.items()
    )


# The quartile methods fct_comparator_position computes (sql/macros/quartiles.sql).
_QUARTILE_METHODS = {
    "lait": r"^(?:dfe )?lait$",
    "ohid": r"^(?:ohid|phe|phe_quantile|fingertips quantile)$",
    "ntile": r"^(?:ntile|ntile\(4\))$",
}


def parse_quartile_method(cell: pl.Expr) -> pl.Expr:
    """The quartile method a comparator return asks for: `lait` (the default, when blank),
    `ohid` or `ntile`; null where the cell names no method."""
    text = blank_to_null(cell).str.to_lowercase().str.strip_chars()
    method = pl.when(text.is_null()).then(pl.lit("lait"))
    for name, pattern in _QUARTILE_METHODS.items():
        method = method.when(text.str.contains(pattern)).then(pl.lit(name))
    return method
