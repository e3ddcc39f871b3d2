"""Reading a return file as typed: header, encodings, workbooks
(pipelines/readers/return_files.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest

from pipelines.readers.return_files import (
    UnreadableReturnError,
    discover_returns,
    read_return,
    reporting_periods_typed,
    reporting_periods_typed_in,
)
from tests.conftest import return_csv

ROW = {
    "authority": "St Helens",
    "reporting_period": "2024-25 Q2",
    "priority": "1",
    "ref": "CYP-008A",
    "indicator": "Percentage of Children Looked After ceased due to adoption",
    "polarity": "Higher",
    "target": "10%",
    "q1": "22",
    "q2": "14.3",
}


def read_text(name: str, text: str, encoding: str = "utf-8") -> object:
    return read_return(Path(name), text.encode(encoding))


def test_the_header_is_found_below_a_title_block_and_blank_rows_are_skipped() -> None:
    text = "St Helens Council,,\nQ2 return,,\n,,\n" + return_csv(
        [ROW, {}, ROW | {"ref": "CYP-006"}]
    )
    returned = read_text("p1.csv", text)
    assert returned.header_row == 4
    assert returned.rows["ref"].to_list() == ["CYP-008A", "CYP-006"]
    # Row numbers are the sheet's own, so a service lead can find the row.
    assert returned.rows["row_number"].to_list() == [5, 7]


def test_the_periods_a_return_is_as_at_are_read_without_reading_its_rows() -> None:
    text = "St Helens Council,,\nQ2 return,,\n,,\n" + return_csv(
        [ROW, {}, ROW | {"reporting_period": "Q1 2024/25"}, ROW | {"reporting_period": ""}]
    )
    typed = reporting_periods_typed(Path("p1.csv"), text.encode())
    assert typed == {"2024-25 Q2", "Q1 2024/25"}
    assert typed == set(read_text("p1.csv", text).rows["reporting_period"].drop_nulls())


def test_a_folders_periods_read_together_are_those_read_file_by_file(tmp_path: Path) -> None:
    files = {
        # Plain CSVs of two header layouts, parsed together, layout by layout.
        "plain.csv": return_csv([ROW, ROW | {"reporting_period": "Q1 2024/25"}]),
        "plain-again.csv": return_csv([ROW | {"reporting_period": "2023-24 Q4"}]),
        "reordered.csv": "reporting_period,authority,priority,ref,indicator,polarity\n"
        "2022-23 Q3,Halton,2,REF-1,Title,Lower\n",
        # A cell quoted across two lines: the parse disagrees with the line count.
        "quoted.csv": return_csv(
            [ROW | {"indicator": "Two\nlines", "reporting_period": "2021-22 Q1"}]
        ),
        # Not plain: a title block above the header.
        "titled.csv": "St Helens Council,,\n"
        + return_csv([ROW | {"reporting_period": "2020-21 Q3"}]),
        "empty.csv": "",
        "notes.csv": "not,a,return\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    paths = sorted(tmp_path.iterdir())
    file_by_file: set[str] = set()
    for path in paths:
        try:
            file_by_file |= reporting_periods_typed(path, path.read_bytes())
        except UnreadableReturnError:
            continue
    assert reporting_periods_typed_in(paths) == file_by_file == {
        "2024-25 Q2", "Q1 2024/25", "2023-24 Q4", "2022-23 Q3", "2021-22 Q1", "2020-21 Q3",
    }  # fmt: skip


def test_header_names_match_regardless_of_case_spaces_and_underscores() -> None:
    header = [
        "Authority",
        " REPORTING PERIOD ",
        "Priority",
        "Ref",
        "Indicator",
        "polarity",
        "Target_Q2",
        "comparative quartile",
    ]
    text = (
        ",".join(header) + "\nSt Helens,2024-25 Q2,1,CYP-006,Looked after children,Lower,62,4th\n"
    )
    rows = read_text("p1.csv", text).rows
    assert rows["reporting_period"].item() == "2024-25 Q2"
    assert rows["target_q2"].item() == "62"
    assert rows["comparative_quartile"].item() == "4th"


def test_unknown_extra_columns_are_kept_not_rejected() -> None:
    header = [*ROW, "Lead officer", "RAG (manual)"]
    text = return_csv([ROW | {"Lead officer": "J Smith", "RAG (manual)": "Green"}], header)
    extra = read_text("p1.csv", text).rows["extra_columns"].item()
    assert json.loads(extra) == {"Lead officer": "J Smith", "RAG (manual)": "Green"}


def test_a_byte_order_mark_is_not_part_of_the_first_header() -> None:
    returned = read_return(Path("p1.csv"), b"\xef\xbb\xbf" + return_csv([ROW]).encode())
    assert returned.encoding == "utf-8-sig"
    assert returned.rows["authority"].item() == "St Helens"


def test_a_windows_1252_file_from_excel_is_read_without_mangling() -> None:
    row = ROW | {"indicator": "Children\u2019s placements \u2013 \u00a3 per week", "q2": "14.3"}
    returned = read_text("p1.csv", return_csv([row]).replace("\n", "\r\n"), "cp1252")
    assert returned.encoding == "cp1252"
    assert returned.rows["indicator"].item() == "Children\u2019s placements \u2013 \u00a3 per week"
    assert returned.rows["q2"].item() == "14.3"


def test_bytes_that_are_neither_utf8_nor_windows_1252_are_refused_with_the_offset() -> None:
    content = return_csv([ROW]).encode() + b"\x81\x8d"
    with pytest.raises(UnreadableReturnError, match=r"neither UTF-8 nor Windows-1252.*0x81"):
        read_return(Path("p1.csv"), content)


def test_a_workbook_is_read_from_its_return_sheet_with_cells_as_they_were_typed(
    tmp_path: Path,
) -> None:
    header = [
        "authority",
        "reporting_period",
        "priority",
        "ref",
        "indicator",
        "polarity",
        "target",
        "previous_outturn",
        "q2",
    ]
    # In Excel, 9.4% is the number 0.094 shown with a per cent format.
    row = ["St Helens", "2024-25 Q2", 1, "CYP-008A", "Adoptions", "Higher", 0.1, 1412857, 14.3]
    workbook = openpyxl.Workbook()
    workbook.active.title = "Guidance"
    sheet = workbook.create_sheet("Return")
    sheet.append(header)
    sheet.append(row)
    sheet["G2"].number_format = "0.0%"
    workbook.save(tmp_path / "p1.xlsx")
    returned = read_return(tmp_path / "p1.xlsx", (tmp_path / "p1.xlsx").read_bytes())
    assert returned.sheet == "Return"
    cells = returned.rows.row(0, named=True)
    assert cells["target"] == "10%"
    assert cells["previous_outturn"] == "1412857"
    assert cells["q2"] == "14.3"
    assert cells["priority"] == "1"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("blank.csv", b" \r\n\r\n", "the file is empty"),
        ("corrupt.xlsx", b"PK\x03\x04 this is not a workbook", "not a readable Excel workbook"),
        ("notes.csv", b"Some notes\nabout the quarter\n", "no header row found"),
        (
            "no-polarity.csv",
            b"authority,reporting_period,priority,ref,indicator,target\n",
            "required column polarity missing from the header (row 1)",
        ),
        (
            "two-targets.csv",
            b"authority,reporting_period,priority,ref,indicator,polarity,Target,target\n",
            "names target more than once",
        ),
    ],
)
def test_a_file_that_cannot_be_read_says_why(name: str, content: bytes, reason: str) -> None:
    with pytest.raises(UnreadableReturnError, match=re.escape(reason)):
        read_return(Path(name), content)


def test_returns_are_found_in_subfolders_and_office_lock_files_are_not(tmp_path: Path) -> None:
    (tmp_path / "a" / "2024-25").mkdir(parents=True)
    for name in ("a/2024-25/p1.csv", "a/p2.XLSX", "~$p2.xlsx", "notes.txt", ".hidden.csv"):
        (tmp_path / name).write_text("x")
    found = [p.relative_to(tmp_path).as_posix() for p in discover_returns(tmp_path)]
    assert found == ["a/2024-25/p1.csv", "a/p2.XLSX"]


def test_a_byte_order_mark_before_windows_1252_text_is_read() -> None:
    content = b"\xef\xbb\xbf" + return_csv([ROW | {"indicator": "Children\u2019s"}]).encode(
        "cp1252"
    )
    returned = read_return(Path("p1.csv"), content)
    assert (returned.encoding, returned.rows["indicator"].item()) == ("cp1252", "Children\u2019s")


def test_a_file_mixing_utf8_and_windows_1252_is_refused_rather_than_mangled() -> None:
    content = return_csv([ROW | {"indicator": "caf\u00e9"}]).encode() + "Children\u2019s\n".encode(
        "cp1252"
    )
    with pytest.raises(UnreadableReturnError, match="mixes UTF-8 and Windows-1252"):
        read_return(Path("p1.csv"), content)


def test_excels_unicode_text_save_is_read() -> None:
    content = return_csv([ROW]).replace(",", "\t").encode("utf-16")
    returned = read_return(Path("p1.csv"), content)
    assert (returned.encoding, returned.rows["ref"].item()) == ("utf-16", "CYP-008A")


def test_a_commentary_of_many_pages_is_kept_whole() -> None:
    essay = "The service has improved. " * 10_000
    returned = read_text("p1.csv", return_csv([ROW | {"commentary": essay}], [*ROW, "commentary"]))
    assert returned.rows["commentary"].item() == essay


def test_two_unknown_columns_with_one_name_are_both_kept() -> None:
    text = (
        ",".join([*ROW, "Notes", "Notes"]) + "\n" + ",".join([*ROW.values(), "one", "two"]) + "\n"
    )
    extra = json.loads(read_text("p1.csv", text).rows["extra_columns"].item())
    assert extra == {"Notes (column 10)": "one", "Notes (column 11)": "two"}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (return_csv([ROW]).encode() + b"\x00", "holds NUL bytes"),
        (",".join(ROW).encode() + b"\n", "has a header (row 1) but no indicator rows below it"),
    ],
)
def test_a_csv_that_is_no_return_says_why(content: bytes, reason: str) -> None:
    with pytest.raises(UnreadableReturnError, match=re.escape(reason)):
        read_return(Path("p1.csv"), content)
