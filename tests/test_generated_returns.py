"""The benchmark's synthetic returns are valid returns, the same for the same seed."""

from __future__ import annotations

from pathlib import Path

from benchmarks.generate_returns import generate, write_expected_returns
from pipelines.readers.return_files import UnreadableReturnError, discover_returns, read_return


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


def test_one_more_quarter_adds_its_files_and_changes_no_other(tmp_path: Path) -> None:
    generate(tmp_path / "history", authorities=2, quarters=5, indicator_count=12, seed=3)
    generate(tmp_path / "next", authorities=2, quarters=6, indicator_count=12, seed=3,
             first_quarter=5)  # fmt: skip
    generate(tmp_path / "all", authorities=2, quarters=6, indicator_count=12, seed=3)
    history, next_quarter = contents(tmp_path / "history"), contents(tmp_path / "next")
    assert sorted(next_quarter) == ["authority-001/2022-23/Q2.csv", "authority-002/2022-23/Q2.csv"]
    assert {**history, **next_quarter} == contents(tmp_path / "all")


def test_the_expected_returns_register_lists_every_authority_and_priority(
    tmp_path: Path,
) -> None:
    register = tmp_path / "expected_returns.csv"
    write_expected_returns(register, authorities=2, indicator_count=12)
    lines = register.read_text().splitlines()
    assert lines[0] == "authority,priority,frequency,from_period"
    assert lines[1:3] == [
        "Authority 001,1,Quarterly,2021-22 Q1",
        "Authority 001,2,Quarterly,2021-22 Q1",
    ]
    assert len(lines) == 1 + 2 * 6
