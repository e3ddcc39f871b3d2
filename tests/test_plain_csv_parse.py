"""Plain CSV returns are parsed many files at once, the rest one by one with read_return:
both ways give the same raw tables, cell for cell (pipelines/readers/plain_csvs.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import polars as pl
import pytest

import assets.raw_returns
from assets.raw_returns import load_returns
from pipelines.readers.return_files import plain_csv
from tests.conftest import HEADER, indicator_row, return_csv

MILESTONE_CSV = (
    "authority,reporting_period,objective_ref,milestone_ref,milestone,progress\n"
    "Halton,2024-25 Q2,CYP P1,P1.1,Open the new family hub,\u2713\n"
    'Halton,2024-25 Q2,CYP P1,P1.2,"Recruit, train and keep foster carers",?\n'
)
COMPARATOR_CSV = (
    "authority,reporting_period,ref,polarity,comparator_group,comparator_period,"
    "member_authority,value\n"
    "Testshire,2024-25 Q2,CYP-006,Lower,CIPFA nearest neighbours,2022/23,Redshire,71\n"
    "Testshire,2024-25 Q2,CYP-006,Lower,CIPFA nearest neighbours,2022/23,Blueshire,N/A\n"
)
PLAIN = {
    "plain.csv": return_csv([indicator_row(), indicator_row(ref="CYP-007", q2="")]),
    "quoted.csv": return_csv(
        [indicator_row(target="1,400", q1="", q2=" 9.4% "), indicator_row(ref="CYP-010")]
    )
    + 'Testshire,2024-25 Q2,1,CYP-011,"Adoptions, all",Higher,,"",,"  ",,,,\n',
    "windows-lines.csv": return_csv([indicator_row(), indicator_row(ref="E&S-25a")]).replace(
        "\n", "\r\n"
    ),
    "with-bom.csv": "\ufeff" + return_csv([indicator_row(indicator="Caf\u00e9s inspected")]),
    "header-in-capitals.csv": return_csv([indicator_row(reported_trend="\u2191")]).replace(
        ",".join(HEADER), ",".join(f" {name.upper().replace('_', ' ')}" for name in HEADER), 1
    ),
    "no-last-line-break.csv": return_csv([indicator_row()]).rstrip("\n"),
    "milestone.csv": MILESTONE_CSV,
    "comparator.csv": COMPARATOR_CSV,
}
UNUSUAL = {
    "title-block.csv": "Testshire Council,,\nQ2 return,,\n" + return_csv([indicator_row()]),
    "blank-row.csv": return_csv([indicator_row(), {}, indicator_row(ref="CYP-007")]),
    "blank-line.csv": return_csv([indicator_row()]) + "\n" + return_csv([indicator_row()])[-80:],
    "extra-column.csv": return_csv([indicator_row() | {"notes": "x"}], [*HEADER, "notes"]),
    "short-row.csv": return_csv([indicator_row()]) + "Testshire,2024-25 Q2,1,CYP-009\n",
    "stray-quote.csv": return_csv([indicator_row(indicator='The "best" rate')]).replace(
        '"The ""best"" rate"', 'The "best" rate'
    ),
    "doubled-quote.csv": return_csv([indicator_row(indicator='The "best" rate')]),
    "open-quote.csv": return_csv([indicator_row()]) + 'Testshire,2024-25 Q2,1,"CYP-009\n',
    "two-lines-in-a-cell.csv": return_csv([indicator_row(indicator="Adoptions\nper year")], HEADER),
    "punctuation-row.csv": return_csv([indicator_row(), indicator_row(ref="-", q1="-")]),
    "mark-inside.csv": return_csv([indicator_row(indicator="\ufeffAdoptions")]),
    "windows-1252.csv": return_csv([indicator_row(indicator="Caf\u00e9s")]),
    "tabs.csv": return_csv([indicator_row()]).replace(",", "\t"),
    "empty.csv": "",
    "header-only.csv": return_csv([]),
    "ref-twice.csv": return_csv([indicator_row()], [*HEADER[:-1], "ref"]),
}
ENCODINGS = {"windows-1252.csv": "cp1252"}


def write_folder(folder: Path) -> list[tuple[str, Path]]:
    for name, text in {**PLAIN, **UNUSUAL}.items():
        (folder / name).write_bytes(text.encode(ENCODINGS.get(name, "utf-8")))
    return [(path.name, path) for path in sorted(folder.iterdir())]


def raw_tables(connection: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    return {
        "raw.returns": connection.sql(
            "select * exclude (loaded_at) from raw.returns order by file_path, row_number"
        ).pl(),
        "raw.return_files": connection.sql(
            "select * exclude (loaded_at) from raw.return_files order by file_path"
        ).pl(),
        "quarantine.rejected_files": connection.sql(
            "select file_path, file_hash, reason from quarantine.rejected_files order by file_path"
        ).pl(),
    }


def loaded(files: list[tuple[str, Path]]) -> dict[str, pl.DataFrame]:
    with duckdb.connect() as connection:
        load_returns(connection, files, run_id="test", quarters=[], log=logging.getLogger())
        return raw_tables(connection)


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_a_plain_csv_is_parsed_with_the_others(name: str) -> None:
    assert plain_csv(Path(name), PLAIN[name].encode()) is not None


def test_both_ways_give_the_same_raw_tables_cell_for_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = write_folder(tmp_path)
    parsed_together = loaded(files)
    monkeypatch.setattr(assets.raw_returns, "plain_csv", lambda path, content: None)
    read_one_by_one = loaded(files)
    for table, rows in read_one_by_one.items():
        assert parsed_together[table].equals(rows, null_equal=True), table
    # Every plain file's rows were loaded, with the row numbers of the sheet.
    loaded_files = set(parsed_together["raw.return_files"]["file_path"])
    assert set(PLAIN) <= loaded_files
    windows = parsed_together["raw.returns"].filter(pl.col("file_path") == "windows-lines.csv")
    assert windows["row_number"].to_list() == [2, 3]


def test_a_folder_of_plain_and_unusual_returns_loads_every_row_or_quarantines_its_file(
    tmp_path: Path,
) -> None:
    tables = loaded(write_folder(tmp_path))
    named = set(tables["raw.return_files"]["file_path"]) | set(
        tables["quarantine.rejected_files"]["file_path"]
    )
    assert named == set(PLAIN) | set(UNUSUAL)
    assert "stray-quote.csv" not in set(tables["quarantine.rejected_files"]["file_path"])
    rows_read = tables["raw.return_files"]["rows_read"].sum()
    assert rows_read == tables["raw.returns"].height
