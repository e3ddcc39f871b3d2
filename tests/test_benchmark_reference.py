"""The benchmark's floor reads each header layout with one scan and combines them by name.

Whether its marts hold the pipeline's figures is checked by every benchmark run
(benchmarks/run_benchmark.py, compare_marts), where both are built anyway.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from benchmarks.generate_returns import generate
from benchmarks.reference import build, layouts
from benchmarks.run_benchmark import COMPARED_MARTS


def marts(database: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return {
            mart: connection.sql(f"select * from {mart} order by all").fetchall()
            for mart in COMPARED_MARTS
        }


def test_returns_with_their_columns_in_another_order_give_the_same_marts(tmp_path) -> None:
    returns = tmp_path / "returns"
    generate(returns, authorities=2, quarters=5, indicator_count=12, seed=3)
    build(returns, tmp_path / "as-generated.duckdb")
    reordered = sorted(returns.rglob("*.csv"))[1::2]
    for path in reordered:
        with path.open(newline="", encoding="utf-8") as file:
            rows = list(csv.reader(file))
        if rows:
            with path.open("w", newline="", encoding="utf-8") as file:
                csv.writer(file, lineterminator="\n").writerows(row[::-1] for row in rows)
    (returns / "arrived-empty.csv").write_bytes(b"")

    grouped = layouts(returns)
    assert len(grouped) == 2
    assert sorted(len(files) for files in grouped.values()) == [5, 5]
    build(returns, tmp_path / "reordered.duckdb")
    assert marts(tmp_path / "reordered.duckdb") == marts(tmp_path / "as-generated.duckdb")
    assert all(marts(tmp_path / "reordered.duckdb").values())
