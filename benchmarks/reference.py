"""The bare reference: the pipeline's core work on a folder of CSV returns, as fast as
DuckDB can do it honestly, with nothing around it (no Dagster, no gate with reasons,
no lineage, no checks, no reports). The benchmark's floor.

    python -m benchmarks.reference RETURNS_DIR OUT.duckdb

It finds each file's header layout from its first line, reads all the files of one
layout with a single `read_csv` (the columns given, all text, no sniffing, the file
name kept), combines the layouts by name, and then runs benchmarks/reference.sql:
cells parsed with vectorised expressions, and the fact table and the three summary
marts built in a handful of statements with the project's own rule macros
(sql/macros/). On the generated returns it gives the pipeline's mart figures
(the benchmark checks that on every run), so the ratio compares the same work.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import duckdb

BENCHMARKS = Path(__file__).resolve().parent
MACROS = BENCHMARKS.parent / "sql" / "macros"
REFERENCE_SQL = BENCHMARKS / "reference.sql"


def layouts(returns_dir: Path) -> dict[tuple[str, ...], list[str]]:
    """The CSV files under the folder, grouped by their header line. An empty file has
    no layout and no rows (the pipeline quarantines it)."""
    grouped: dict[tuple[str, ...], list[str]] = {}
    for path in sorted(returns_dir.rglob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as file:
            header = file.readline().rstrip("\r\n")
        if header:
            grouped.setdefault(tuple(next(csv.reader([header]))), []).append(str(path))
    return grouped


def read_returns(connection: duckdb.DuckDBPyConnection, returns_dir: Path) -> None:
    """raw_returns: every row of every file, every cell as text, with its file's name."""
    scans = []
    for columns, files in layouts(returns_dir).items():
        types = ", ".join(f"'{name}': 'VARCHAR'" for name in columns)
        scans.append(
            f"select * from read_csv({files!r}, columns = {{{types}}}, header = true, "
            "auto_detect = false, delim = ',', quote = '\"', filename = true)"
        )
    connection.execute("create table raw_returns as " + " union all by name ".join(scans))


def build(returns_dir: Path, database: Path) -> None:
    with duckdb.connect(str(database)) as connection:
        connection.execute("set preserve_insertion_order = false")
        connection.execute("\n".join(p.read_text() for p in sorted(MACROS.glob("*.sql"))))
        read_returns(connection, returns_dir)
        connection.execute(REFERENCE_SQL.read_text())


if __name__ == "__main__":
    build(Path(sys.argv[1]), Path(sys.argv[2]))
