"""Query sheets: one per return, for the data team to send back to the service that sent it.

After each run, every return the folder holds that the run refused in whole or in
part, or in which a check found something, gets a sheet, as HTML and CSV, at
`<reports>/query-sheets/<the return's path>.html|.csv`: each row and cell
concerned, what is wrong or queried (the run's own words: return_queries), and
what would settle it. A return whose queries are all settled by its next version
gets a clean sheet in place of its old one, saying nothing is outstanding.
Cells and file names are the services' own typing, so the HTML escapes them and
the CSV keeps a spreadsheet from reading a cell as a formula.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import shlex
import urllib.parse
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import duckdb
import polars as pl

from pipelines.return_queries import MUST_EXPLAIN, MUST_FIX, files_in_folder, return_queries

QUERY_SHEETS_FOLDER = "query-sheets"
# The tables the queries are read from; a run that stopped before building them has none.
NEEDED_TABLES = (
    "raw.folder_scans",
    "raw.returns",
    "quarantine.rejected_files",
    "quarantine.rejected_rows",
    "quality.dq_flags",
)
SHEET_COLUMNS = {
    "must": "Must be",
    "row_number": "Row",
    "ref": "Ref",
    "cell": "Column or check",
    "period": "Period",
    "value": "Value",
    "expected": "Expected",
    "message": "What is wrong or queried",
    "settled_by": "What would settle it",
}
MUST_WORDS = {MUST_FIX: "fixed", MUST_EXPLAIN: "explained"}

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1rem; color: #1a1a1a; max-width: 80rem; }
h1 code { overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 0 0 1.5rem; width: 100%; }
th, td { border: 1px solid #888; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #e8e8e8; }
td { overflow-wrap: break-word; }
.queries td:nth-child(-n+2) { white-space: nowrap; }
.fix { color: #8b0000; }
/* On a phone each query is a card of labelled lines: nothing scrolls sideways. */
@media (max-width: 40rem) {
  thead { display: none; }
  table, tbody, tr, td { display: block; }
  tr { border: 1px solid #888; margin: 0 0 1rem; padding: .3rem 0; }
  td { border: none; padding: .1rem .5rem; }
  td::before { content: attr(data-label) ": "; font-weight: bold; }
  td:empty { display: none; }
}
"""
# A spreadsheet reads a cell starting like this as a formula; a sign before a number is
# a number, not a formula.
FORMULA_START = r"^(?:[=@\t\r]|[+-][^\d.\s])"
# The sheets' CSV starts with a byte-order mark: Excel reads it as UTF-8 only then.
CSV_BOM = "\ufeff"
# Each sheet's digest (its page without the time written, and its CSV), as last written.
SHEET_DIGESTS = "sheet-digests.json"


def write_query_sheets(warehouse: Path, reports_dir: Path) -> Path | None:
    """The sheets of the returns the folder holds, from a run's warehouse (read only), and
    their index; the index's path, or None when the run built no findings to read."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        present = {
            f"{schema}.{name}"
            for schema, name in connection.sql(
                "select schema_name, table_name from duckdb_tables()"
            ).fetchall()
        }
        if not present >= set(NEEDED_TABLES):
            return None
        files = files_in_folder(connection)
        queries = return_queries(connection, files)
    folder = reports_dir / QUERY_SHEETS_FOLDER
    # Every sheet's rows are laid out at once, as table rows and as spreadsheet cells, and
    # split by return after: a return at a time costs a dozen frame operations each, and a
    # folder of thousands of returns has thousands of sheets.
    rows = sheet_rows(queries)
    sections = _sections_by_file(queries["file_path"], rows)
    csv_cells = _inert_cells(rows)
    csv_header = csv_cells.clear().write_csv()
    csv_by_file = _csv_lines_by_file(queries["file_path"], csv_cells)
    written_at = dt.datetime.now(dt.UTC)
    digests_path = folder / SHEET_DIGESTS
    previous = _sheet_digests(digests_path)
    # Gone while sheets are written: a run stopped half way leaves none, and the next
    # writes every sheet, not trusting digests of sheets it may have changed since.
    digests_path.unlink(missing_ok=True)
    digests: dict[str, str] = {}
    sheets: list[str] = []
    for file_path in files["file_path"]:
        its_sections = sections.get(file_path, [])
        html_path, csv_path = sheet_paths(folder, file_path)
        # A return with nothing outstanding gets a sheet only to replace an old one.
        if not its_sections and not html_path.exists():
            continue
        sheets.append(file_path)
        csv_text = CSV_BOM + csv_header + csv_by_file.get(file_path, "")
        # A sheet that would say what it already says is left as it is, with the time it
        # was written: a folder of thousands of returns took seconds to write again.
        digests[file_path] = hashlib.sha256(
            (sheet_html(file_path, its_sections, None) + csv_text).encode()
        ).hexdigest()
        if (
            previous.get(file_path) == digests[file_path]
            and html_path.exists()
            and csv_path.exists()
        ):
            continue
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_text(sheet_html(file_path, its_sections, written_at), encoding="utf-8")
        csv_path.write_text(csv_text, encoding="utf-8", newline="")
    folder.mkdir(parents=True, exist_ok=True)
    written_digests = digests_path.with_suffix(".json.new")
    written_digests.write_text(json.dumps(digests))
    written_digests.replace(digests_path)
    index = folder / "index.html"
    index.write_text(index_html(folder, sheets, queries), encoding="utf-8")
    return index


def _sheet_digests(path: Path) -> dict[str, str]:
    """The sheets' digests as the last run left them; none where it left none it could
    finish writing."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def index_html(folder: Path, file_paths: list[str], queries: pl.DataFrame) -> str:
    """One line per sheet: the return, how many queries to fix and to explain."""
    counts = queries.group_by("file_path").agg(
        (pl.col("must") == MUST_FIX).sum().alias("fix"),
        (pl.col("must") == MUST_EXPLAIN).sum().alias("explain"),
    )
    sheets = (
        pl.DataFrame({"file_path": file_paths}, schema={"file_path": pl.Utf8})
        .join(counts, on="file_path", how="left")
        .fill_null(0)
        .sort(["fix", "explain", "file_path"], descending=[True, True, False])
    )
    lines = "".join(
        f'<tr><td data-label="Return"><a href="{html.escape(_href(folder, file_path))}">'
        f"{html.escape(file_path)}</a></td>"
        f'<td data-label="To be fixed">{fix}</td><td data-label="To be explained">{explain}</td>'
        "</tr>"
        for file_path, fix, explain in sheets.iter_rows()
    )
    table = (
        '<table><thead><tr><th scope="col">Return</th><th scope="col">To be fixed</th>'
        f'<th scope="col">To be explained</th></tr></thead><tbody>{lines}</tbody></table>'
        if lines
        else "<p>No return in the folder has anything to fix or explain.</p>"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Query sheets</title><style>{STYLE}</style></head><body>"
        "<h1>Query sheets</h1>"
        f"<p>Written {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, after the run. One sheet "
        "per return with something to fix or explain, to send back to the service; a "
        "return put right since its last sheet shows none outstanding.</p>"
        f"{table}</body></html>"
    )


def _href(folder: Path, file_path: str) -> str:
    html_path, _ = sheet_paths(folder, file_path)
    return urllib.parse.quote(html_path.relative_to(folder).as_posix())


def sheet_paths(folder: Path, file_path: str) -> tuple[Path, Path]:
    """Where a return's sheet goes: its own path under the folder, never outside it."""
    parts = [p for p in PurePosixPath(file_path).parts if p not in ("/", "..", ".")]
    base = folder.joinpath(*parts) if parts else folder / "unnamed"
    return base.with_name(base.name + ".html"), base.with_name(base.name + ".csv")


def sheet_rows(queries: pl.DataFrame) -> pl.DataFrame:
    """The queries as the sheet shows them, columns named for a person."""
    return queries.select(
        pl.col("must").replace_strict(MUST_WORDS, return_dtype=pl.Utf8),
        pl.col("row_number").cast(pl.Utf8),
        "ref",
        pl.coalesce("column_name", pl.col("kind") + " " + pl.col("check_name")).alias("cell"),
        "period",
        "value",
        "expected",
        "message",
        "settled_by",
    ).rename(SHEET_COLUMNS)


@dataclass(frozen=True)
class Section:
    """A sheet's queries of one kind (what must be fixed, or explained), as table rows."""

    must: str  # MUST_WORDS' word
    count: int
    table_rows: str  # the rows' <tr> elements


# Each section of a sheet, in order: its heading and what the service should do.
SECTIONS = {
    MUST_WORDS[MUST_FIX]: (
        "To be fixed",
        "The run did not load these: send the return again with them put right.",
    ),
    MUST_WORDS[MUST_EXPLAIN]: (
        "To be explained",
        "The run loaded these, but each figure needs a correction or a sentence for the "
        "performance team.",
    ),
}
# html.escape's replacements, made in one pass as it makes them.
_HTML_SPECIALS = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}


def _sections_by_file(file_paths: pl.Series, rows: pl.DataFrame) -> dict[str, list[Section]]:
    """Each return's sections, in SECTIONS' order, from the sheet rows of every return."""
    must = SHEET_COLUMNS["must"]
    cells = rows.drop(must)
    table_row = pl.concat_str(
        pl.lit("<tr>"),
        *(
            pl.lit(f'<td data-label="{html.escape(column, quote=True)}">')
            + pl.col(column)
            .fill_null("")
            .str.replace_many(list(_HTML_SPECIALS), list(_HTML_SPECIALS.values()))
            + pl.lit("</td>")
            for column in cells.columns
        ),
        pl.lit("</tr>"),
    )
    grouped = (
        pl.DataFrame({"file_path": file_paths, "must": rows[must]})
        .with_columns(cells.select(table_row.alias("table_row")))
        .group_by("file_path", "must", maintain_order=True)
        .agg(pl.len().alias("count"), pl.col("table_row").str.join(""))
    )
    order = list(SECTIONS)
    sections: dict[str, list[Section]] = {}
    for file_path, words, count, table_rows in grouped.iter_rows():
        sections.setdefault(file_path, []).append(Section(words, count, table_rows))
    return {
        file_path: sorted(its, key=lambda section: order.index(section.must))
        for file_path, its in sections.items()
    }


def sheet_html(file_path: str, sections: list[Section], written_at: dt.datetime | None) -> str:
    """The sheet as a page: what must be fixed, then what must be explained; without the
    time it was written when `written_at` is None, to tell whether it says anything new."""
    name = html.escape(file_path)
    head = "".join(
        f'<th scope="col">{html.escape(label, quote=True)}</th>'
        for column, label in SHEET_COLUMNS.items()
        if column != "must"
    )
    body = "".join(
        f'<h2 class="{"fix" if section.must == MUST_WORDS[MUST_FIX] else ""}">'
        f"{SECTIONS[section.must][0]}: {section.count}</h2><p>{SECTIONS[section.must][1]}</p>"
        f'<table class="queries"><thead><tr>{head}</tr></thead>'
        f"<tbody>{section.table_rows}</tbody></table>"
        for section in sections
    )
    when = "" if written_at is None else f"{written_at:%Y-%m-%d %H:%M}"
    if not body:
        body = (
            "<p>Nothing is outstanding: the run loaded every row of this return and no check "
            "found anything in it.</p>"
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Queries on {name}</title><style>{STYLE}</style></head><body>"
        f"<h1>Queries on your return <code>{name}</code></h1>"
        f"<p>Written {when} UTC, after the performance "
        "team's run. A row is the row of your file as a spreadsheet numbers it. To check "
        "a corrected file before sending it: <code>python -m pipelines validate FILE "
        f"--replaces {html.escape(shlex.quote(file_path))}</code></p>"
        f"{body}</body></html>"
    )


def _csv_lines_by_file(file_paths: pl.Series, cells: pl.DataFrame) -> dict[str, str]:
    """Each return's CSV lines, written as Polars writes a CSV: a cell quoted where it holds
    a comma, a quote or a line break (its quotes doubled) and where it is empty, to tell it
    from a missing one, which is written as nothing."""

    def field(column: str) -> pl.Expr:
        cell = pl.col(column)
        return (
            pl.when(cell == "")
            .then(pl.lit('""'))
            .when(cell.str.contains('[,"\r\n]'))
            .then(pl.lit('"') + cell.str.replace_all('"', '""', literal=True) + pl.lit('"'))
            .otherwise(cell)
            .fill_null("")
        )

    line = pl.concat_str(*(field(column) for column in cells.columns), separator=",") + "\n"
    lines = (
        cells.select(line.alias("line"))
        .with_columns(file_paths)
        .group_by("file_path", maintain_order=True)
        .agg(pl.col("line").str.join(""))
    )
    return dict(lines.iter_rows())


def _inert_cells(rows: pl.DataFrame) -> pl.DataFrame:
    """Text a spreadsheet would run as a formula, behind an apostrophe."""
    return rows.with_columns(
        pl.when(pl.col(c).str.contains(FORMULA_START))
        .then("'" + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in rows.columns
    )
