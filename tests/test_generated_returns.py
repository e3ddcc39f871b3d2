"""The benchmark's synthetic returns are valid returns, the same for the same seed."""

from __future__ import annotations

from pathlib import Path

from assets.return_files import UnreadableReturnError, discover_returns, read_return
from benchmarks.generate_returns import generate


def contents(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in discover_returns(folder)}


def test_the_same_seed_makes_the_same_returns(tmp_path: Path) -> None:
    generate(tmp_path / "a", authorities=2, quarters=5, indicator_count=12, seed=3)
    generate(tmp_path / "b", authorities=2, quarters=5, indicator_count=12, seed=3)
    assert contents(tmp_path / "a") == contents(tmp_path / "b")


def test_generated_returns_are_returns_of_the_contract(tmp_path: Path) -> None:
    made = generate(tmp_path, authorities=3, quarters=6, indicator_count=40, seed=11)
    rows = 0
    for path in discover_returns(tmp_path):
        try:
            returned = read_return(path, path.read_bytes())
        except UnreadableReturnError:
            continue  # the generator's deliberately empty files
        rows += returned.rows.height
        assert returned.rows["comparative_quartile"].str.contains(r"^[1-4](st|nd|rd|th) ").all()
    assert made == {"files": 18, "rows": rows}
