"""Hostile and unlucky input (issue 16): no file can stop a run, lose a row, or reach
outside the returns folder.

The bad files are made here, in the test's own folder. The reader-level tests read one
file; the run tests share one build of a folder of bad files, into a warehouse where an
older reader once refused one good file.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest

import assets.raw_returns
import pipelines.readers.return_files
from assets.return_gate import judge_rows
from pipelines.readers.return_files import (
    UnreadableReturnError,
    file_hash,
    read_return,
    read_return_bytes,
    reporting_periods_typed,
    scan_returns_folder,
)
from pipelines.report.files import report_stem
from pipelines.run import RunOutcome
from schemas import cells, indicator_return
from tests.conftest import HEADER, build, indicator_row, return_csv

WORKBOOK_HEADER = [
    "authority",
    "reporting_period",
    "priority",
    "ref",
    "indicator",
    "polarity",
    "target",
    "q1",
    "q2",
]


def write_workbook(
    tmp_path: Path, rows: list[list[object]], *, name: str = "Return", title: str = "book"
) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = name
    sheet.append(WORKBOOK_HEADER)
    for row in rows:
        sheet.append(row)
    path = tmp_path / f"{title}.xlsx"
    workbook.save(path)
    return path


def a_row(**cells: object) -> list[object]:
    defaults: dict[str, object] = {
        "authority": "Testshire",
        "reporting_period": "2024-25 Q2",
        "priority": 1,
        "ref": "CYP-006",
        "indicator": "Looked after children per 10,000",
        "polarity": "Lower",
        "target": 125,
        "q1": 132.2,
        "q2": 124.9,
    }
    return [(defaults | cells)[column] for column in WORKBOOK_HEADER]


def with_sheet_rewritten(path: Path, pattern: bytes, replacement: bytes) -> bytes:
    """The workbook with its sheet's XML rewritten where `pattern` matches, the rest as it
    was."""
    with zipfile.ZipFile(path) as original:
        parts = {name: original.read(name) for name in original.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    rewritten_sheet = re.sub(pattern, replacement, parts[sheet])
    assert rewritten_sheet != parts[sheet]
    parts[sheet] = rewritten_sheet
    rewritten = path.with_name(f"rewritten-{path.name}")
    with zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as changed:
        for name, content in parts.items():
            changed.writestr(name, content)
    return rewritten.read_bytes()


def with_declared_range(path: Path, dimension: str) -> bytes:
    """The workbook with its sheet's declared used range rewritten, its cells unchanged."""
    return with_sheet_rewritten(
        path, rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="{dimension}"/>'.encode()
    )


def judged_at_the_gate(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A workbook's rows read and judged by the indicator gate: (accepted, failures)."""
    rows = read_return(path, path.read_bytes()).rows
    lineage = {"file_path": path.name, "file_hash": "h", "sheet": "Return", "loaded_at": None}
    return judge_rows(
        rows.with_columns(**{c: pl.lit(v) for c, v in lineage.items()}), indicator_return.GATE
    )


# Item 4: a wrong number.


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("12 5", None),
        ("1 41", None),
        ("1 412 857", 1412857.0),
        ("1\u00a0412\u00a0857", 1412857.0),
        ("1\u2009412", 1412.0),
        ("1\u202f412.5", 1412.5),
        ("- 5", -5.0),
        ("5 %", 5.0),
    ],
)
def test_spaces_inside_a_number_separate_thousands_only_in_groups_of_three(
    typed: str, number: float | None
) -> None:
    assert pl.select(cells.parse_number(pl.lit(typed))).item() == number


def test_a_number_with_a_stray_space_stays_text_as_the_values_note() -> None:
    note = pl.select(cells.value_note(pl.lit("12 5"))).item()
    assert note == "12 5"


# Item 5: tiny Excel numbers.


def test_tiny_workbook_numbers_stay_numbers_and_are_never_written_in_scientific_form(
    tmp_path: Path,
) -> None:
    path = write_workbook(tmp_path, [a_row(target=0.00002, q2=0.00005, q1=1e-12)])
    row = read_return(path, path.read_bytes()).rows.row(0, named=True)
    assert (row["target"], row["q2"], row["q1"]) == ("0.00002", "0.00005", "0.000000000001")
    accepted, rejections = judged_at_the_gate(path)
    assert rejections.is_empty() and accepted.height == 1
    assert pl.select(cells.parse_number(pl.lit(row["q2"]))).item() == 0.00005


# Item 3: a tiny workbook declaring a vast range.


def test_a_workbook_declaring_its_range_to_the_last_column_and_row_costs_its_real_cells(
    tmp_path: Path,
) -> None:
    path = write_workbook(tmp_path, [a_row()])
    content = with_declared_range(path, "A1:XFD1048576")
    returned = read_return(Path("vast.xlsx"), content)
    assert returned.header == WORKBOOK_HEADER
    assert returned.rows.height == 1


def test_a_workbook_numbering_two_rows_alike_is_refused_as_damaged(tmp_path: Path) -> None:
    # Two rows would share the row number that names them in raw.returns and at the gate.
    path = write_workbook(tmp_path, [a_row(), a_row(ref="CYP-007")])
    content = with_sheet_rewritten(path, rb'<row r="3"', b'<row r="2"')
    with pytest.raises(UnreadableReturnError, match="numbers two rows 2, which Excel never"):
        read_return(Path("damaged.xlsx"), content)


@pytest.mark.parametrize(
    ("bound", "value", "reason"),
    [
        ("MAX_CELLS", 10, "holds more than 10 cells, more than any return"),
        ("MAX_SHEET_BYTES", 100, "MiB of cells, more than any return"),
        ("MAX_READ_SECONDS", 0.0, "took more than 0 s, far longer than any return"),
    ],
)
def test_a_workbook_past_what_one_file_may_cost_is_refused_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bound: str, value: float, reason: str
) -> None:
    path = write_workbook(tmp_path, [a_row(), a_row(ref="CYP-007")])
    monkeypatch.setattr(pipelines.readers.return_files, bound, value)
    with pytest.raises(UnreadableReturnError, match=re.escape(reason)):
        read_return(path, path.read_bytes())


def test_a_csv_past_the_cell_bound_is_refused_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pipelines.readers.return_files, "MAX_CELLS", 20)
    content = return_csv([indicator_row(), indicator_row(ref="CYP-007")]).encode()
    with pytest.raises(UnreadableReturnError, match="holds more than 20 cells"):
        read_return(Path("wide.csv"), content)


def test_a_file_larger_than_any_return_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(return_csv([indicator_row()]))
    monkeypatch.setattr(pipelines.readers.return_files, "MAX_FILE_BYTES", 10)
    with pytest.raises(UnreadableReturnError, match="more than any return"):
        read_return_bytes(path)


def test_finding_a_workbooks_quarter_reads_only_the_period_cells_below_the_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [a_row(ref=f"CYP-{n:03}") for n in range(20)]
    path = write_workbook(tmp_path, rows)
    cells_read: list[object] = []
    cell_text = pipelines.readers.return_files._cell_text

    def counted(*arguments: object) -> str | None:
        cells_read.append(arguments[0])
        return cell_text(*arguments)  # type: ignore[arg-type]

    monkeypatch.setattr(pipelines.readers.return_files, "_cell_text", counted)
    assert reporting_periods_typed(path, path.read_bytes()) == {"2024-25 Q2"}
    # The header's cells, then one cell a row: the period.
    assert len(cells_read) == len(WORKBOOK_HEADER) + len(rows)


def test_a_title_blocks_reporting_period_label_is_not_taken_for_the_header(
    tmp_path: Path,
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Return"
    sheet.append(["Testshire Council performance return"])
    sheet.append(["Reporting period", "2024-25 Q2"])
    sheet.append([])
    sheet.append(WORKBOOK_HEADER)
    sheet.append(a_row())
    workbook.save(tmp_path / "titled.xlsx")
    content = (tmp_path / "titled.xlsx").read_bytes()
    assert reporting_periods_typed(tmp_path / "titled.xlsx", content) == {"2024-25 Q2"}


# Item 6: a formula cell with no saved value.


def test_a_formula_with_no_saved_value_is_kept_as_its_text_and_named_by_its_cell(
    tmp_path: Path,
) -> None:
    # openpyxl saves formulas without their values, as a program writing a workbook does.
    path = write_workbook(tmp_path, [a_row(q2="=H2*2")])
    returned = read_return(path, path.read_bytes())
    assert returned.rows.row(0, named=True)["q2"] == "=H2*2"
    (formula,) = returned.formula_cells
    assert (formula.cell, formula.column_name, formula.formula) == ("I2", "q2", "=H2*2")


@pytest.mark.parametrize(("column", "formula"), [("target", "=H2*0.9"), ("ref", '="CYP-"&"006"')])
def test_a_formula_in_a_ref_or_a_target_rejects_the_row_with_that_reason(
    tmp_path: Path, column: str, formula: str
) -> None:
    path = write_workbook(tmp_path, [a_row(**{column: formula})])
    accepted, rejections = judged_at_the_gate(path)
    assert accepted.is_empty()
    assert rejections.select("column_name", "value").rows() == [(column, formula)]
    assert "holds a formula with no saved value" in rejections["reason"][0]


# Item 7: a hidden stale sheet.


def test_a_hidden_return_sheet_is_passed_over_for_the_visible_one_and_the_choice_said(
    tmp_path: Path,
) -> None:
    workbook = openpyxl.Workbook()
    stale = workbook.active
    stale.title = "Return"
    stale.append(WORKBOOK_HEADER)
    stale.append(a_row(reporting_period="2023-24 Q2", q2=999))
    stale.sheet_state = "hidden"
    current = workbook.create_sheet("Return (2)")
    current.append(WORKBOOK_HEADER)
    current.append(a_row())
    workbook.save(tmp_path / "two-sheets.xlsx")
    content = (tmp_path / "two-sheets.xlsx").read_bytes()
    returned = read_return(Path("two-sheets.xlsx"), content)
    assert returned.sheet == "Return (2)"
    assert returned.rows.row(0, named=True)["reporting_period"] == "2024-25 Q2"
    assert returned.sheet_choice == (
        "sheet 'Return (2)' was read: the sheet named 'Return' is hidden, so taken to be "
        "out of date"
    )


def test_a_hidden_return_sheet_is_read_where_no_visible_sheet_is_a_return_saying_so(
    tmp_path: Path,
) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Guidance"
    hidden = workbook.create_sheet("Return")
    hidden.append(WORKBOOK_HEADER)
    hidden.append(a_row())
    hidden.sheet_state = "hidden"
    workbook.save(tmp_path / "hidden.xlsx")
    returned = read_return(tmp_path / "hidden.xlsx", (tmp_path / "hidden.xlsx").read_bytes())
    assert (returned.sheet, returned.rows.height) == ("Return", 1)
    assert returned.sheet_choice == (
        "sheet 'Return' was read although it is hidden: no visible sheet is named Return"
    )


def test_a_workbook_with_one_visible_sheet_named_return_needs_no_word(tmp_path: Path) -> None:
    path = write_workbook(tmp_path, [a_row()])
    assert read_return(path, path.read_bytes()).sheet_choice is None


# Item 8: one authority, one report file.


def test_two_authorities_never_share_a_report_file_name() -> None:
    names = ["St Helens", "St. Helens", "St-Helens", "Ynys Môn", "Ynys Mön"]
    stems = [report_stem(name, "2024-25 Q2") for name in names]
    assert len(set(stems)) == len(names)
    assert stems[0] == "st-helens-2024-25-Q2"


def test_the_case_and_spacing_of_an_authoritys_name_make_no_new_authority() -> None:
    names = pl.Series(["REDSHIRE", "Redshire", " red  shire", "Red-Shire", "Blueshire"])
    keys = pl.select(cells.authority_key(pl.lit(names))).to_series()
    assert keys.to_list() == ["redshire"] * 4 + ["blueshire"]


# Item 9: links out of the returns folder.


def test_links_out_of_the_returns_folder_are_set_apart_never_followed(tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "inside.csv").write_text(return_csv([indicator_row()]))
    (tmp_path / "elsewhere.csv").write_text(return_csv([indicator_row()]))
    (folder / "to-elsewhere.csv").symlink_to(tmp_path / "elsewhere.csv")
    (folder / "to-nowhere.csv").symlink_to(tmp_path / "missing.csv")
    (folder / "to-inside.csv").symlink_to(folder / "inside.csv")
    returns, links_out = scan_returns_folder(folder)
    assert [p.name for p in returns] == ["inside.csv", "to-inside.csv"]
    assert [p.name for p in links_out] == ["to-elsewhere.csv", "to-nowhere.csv"]


# Item 11: messages that say what the file is.

OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 24


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("renamed.csv", b"PK\x03\x04\x14\x00\x00\x00", "an Excel workbook (.xlsx) named .csv"),
        (
            "locked.xlsx",
            OLE_HEADER + "EncryptedPackage".encode("utf-16-le"),
            "the workbook is protected by a password",
        ),
        ("old.xlsx", OLE_HEADER, "an Excel 97-2003 workbook (.xls)"),
        ("old.csv", OLE_HEADER, "an Excel 97-2003 workbook (.xls)"),
        (
            "european.csv",
            b"authority;reporting_period;priority;ref;indicator;polarity;q2\n"
            b"Testshire;2024-25 Q2;1;CYP-006;Adoptions;Higher;12,5\n",
            "separates its cells with semicolons",
        ),
    ],
)
def test_a_file_that_is_something_else_says_what_it_is_and_what_to_do(
    name: str, content: bytes, reason: str
) -> None:
    with pytest.raises(UnreadableReturnError, match=re.escape(reason)):
        read_return(Path(name), content)


# Item 2: a stray quote.


def swallowing_csv() -> str:
    """Row 3's commentary opens a quote it never closes: the csv module folds the two rows
    below into that cell."""
    return (
        "authority,reporting_period,priority,ref,indicator,polarity,q2,commentary\n"
        "Testshire,2024-25 Q2,1,CYP-001,Adoptions,Higher,14,On track\n"
        'Testshire,2024-25 Q2,1,CYP-002,Adoptions,Higher,15,"Up on Q1\n'
        "Testshire,2024-25 Q2,1,CYP-003,Adoptions,Higher,16,On track\n"
        "Testshire,2024-25 Q2,1,CYP-004,Adoptions,Higher,17,On track\n"
    )


def test_a_quote_that_swallows_the_rows_below_it_refuses_the_file_naming_the_row() -> None:
    with pytest.raises(UnreadableReturnError) as refused:
        read_return(Path("quote.csv"), swallowing_csv().encode())
    assert str(refused.value).startswith(
        "row 3's commentary cell opens a quote (\") that is not closed where the cell ends, "
        "so 2 rows below it were read as part of that cell"
    )


def test_a_quote_never_closed_refuses_the_file_whatever_the_lines_below_hold() -> None:
    content = (
        "authority,reporting_period,priority,ref,indicator,polarity,q2,commentary\n"
        "Testshire,2024-25 Q2,1,CYP-001,Adoptions,Higher,14,On track\n"
        'Testshire,2024-25 Q2,1,CYP-002,Adoptions,Higher,15,"Up on Q1\n'
        "CYP-003 to follow\n"
        "Notes from the data team\n"
    )
    with pytest.raises(UnreadableReturnError) as refused:
        read_return(Path("quote.csv"), content.encode())
    assert str(refused.value).startswith(
        "row 3's commentary cell opens a quote (\") that is never closed, so the 2 lines "
        "below it were read as part of that cell"
    )


def test_a_quote_left_open_on_the_last_line_swallows_nothing_and_the_file_loads() -> None:
    content = (
        "authority,reporting_period,priority,ref,indicator,polarity,q2,commentary\n"
        'Testshire,2024-25 Q2,1,CYP-001,Adoptions,Higher,14,"Up on Q1\n'
    )
    returned = read_return(Path("quote.csv"), content.encode())
    assert returned.rows.row(0, named=True)["commentary"].strip() == "Up on Q1"


def test_commentary_of_several_lines_is_no_swallowed_row() -> None:
    commentary = "Up on last year.\nTestshire's figures follow the new method.\n\nSee note 3."
    content = return_csv([indicator_row(commentary=commentary)], [*HEADER, "commentary"])
    returned = read_return(Path("notes.csv"), content.encode())
    assert returned.rows.row(0, named=True)["commentary"] == commentary


# The run: every bad file quarantined with its reason, the rest loaded, nothing lost.


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunOutcome, Path]]:
    tmp_path = tmp_path_factory.mktemp("hostile")
    folder = tmp_path / "returns"
    folder.mkdir()
    warehouse = tmp_path / "warehouse.duckdb"
    (folder / "testshire.csv").write_text(return_csv([indicator_row()]))
    fixed_later = return_csv([indicator_row(authority="Fixedshire")])
    (folder / "fixed-later.csv").write_text(fixed_later)
    kept_out = return_csv([indicator_row(authority="Keptshire")])
    (folder / "kept-out.csv").write_text(kept_out)
    # In the warehouse this run carries on, an older reader quarantined fixed-later.csv,
    # and this reader kept-out.csv.
    with duckdb.connect(str(warehouse)) as earlier:
        earlier.execute(assets.raw_returns.RAW_TABLES_DDL)
        for name, content, reader in (
            ("fixed-later.csv", fixed_later, "an older reader"),
            ("kept-out.csv", kept_out, pipelines.readers.return_files.READER_VERSION),
        ):
            earlier.execute(
                "insert into quarantine.rejected_files values (?, ?, ?, now(), ?)",
                [name, file_hash(content.encode()), f"{reader} refused this", reader],
            )
    (folder / "no-permission.csv").write_text(return_csv([indicator_row(authority="Lockshire")]))
    (tmp_path / "elsewhere.csv").write_text(return_csv([indicator_row(authority="Outshire")]))
    (folder / "outside-link.csv").symlink_to(tmp_path / "elsewhere.csv")
    (folder / "quote.csv").write_text(swallowing_csv().replace("Testshire", "Quoteshire"))
    (folder / "semicolons.csv").write_bytes(
        b"authority;reporting_period;priority;ref;indicator;polarity\n"
        b"Semishire;2024-25 Q2;1;CYP-006;Adoptions;Higher\n"
    )
    formulas = write_workbook(
        tmp_path,
        [
            a_row(authority="Formulashire", q2="=H2*2"),
            a_row(authority="Formulashire", ref="CYP-007", target="=H3*0.9"),
        ],
        title="formulas",
    )
    (folder / "formulas.xlsx").write_bytes(formulas.read_bytes())
    two_sheets = openpyxl.Workbook()
    stale = two_sheets.active
    stale.title = "Return"
    stale.append(WORKBOOK_HEADER)
    stale.append(a_row(authority="Sheetshire", q2=999))
    stale.sheet_state = "hidden"
    current = two_sheets.create_sheet("Return (2)")
    current.append(WORKBOOK_HEADER)
    current.append(a_row(authority="Sheetshire", q2=42))
    two_sheets.save(folder / "two-sheets.xlsx")
    (folder / "redshire-q1.csv").write_text(
        return_csv([indicator_row(authority="REDSHIRE", reporting_period="2024-25 Q1")])
    )
    (folder / "redshire-q2.csv").write_text(
        return_csv(
            [
                indicator_row(authority="Redshire"),
                indicator_row(authority="Redshire", ref="CYP-007"),
            ]
        )
    )
    with pytest.MonkeyPatch.context() as patch:
        real_open = Path.open

        def open_denied(self: Path, *arguments: object, **options: object) -> object:
            if self.name == "no-permission.csv":
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *arguments, **options)  # type: ignore[arg-type]

        scan = assets.raw_returns.scan_returns_folder

        def scan_then_vanish(root: Path) -> tuple[list[Path], list[Path]]:
            returns, links_out = scan(root)
            return [*returns, root / "vanished.csv"], links_out

        patch.setattr(Path, "open", open_denied)
        patch.setattr(assets.raw_returns, "scan_returns_folder", scan_then_vanish)
        outcome = build(folder, warehouse)
    yield outcome, warehouse


@pytest.fixture(scope="module")
def hostile_warehouse(hostile_run: tuple[RunOutcome, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    outcome, warehouse = hostile_run
    assert outcome.succeeded and outcome.published, outcome.summary()
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        yield connection


def rejected_file_reasons(outcome: RunOutcome) -> dict[str, str]:
    return dict(outcome.rejected_files)


def test_a_file_that_cannot_be_read_or_vanishes_is_quarantined_and_the_rest_load(
    hostile_run: tuple[RunOutcome, Path], hostile_warehouse: duckdb.DuckDBPyConnection
) -> None:
    outcome, _ = hostile_run
    reasons = rejected_file_reasons(outcome)
    assert reasons["no-permission.csv"].startswith("the file cannot be opened (permission denied)")
    assert reasons["vanished.csv"].startswith("the file disappeared from the returns folder")
    loaded = {
        path
        for (path,) in hostile_warehouse.sql("select file_path from raw.return_files").fetchall()
    }
    assert {"testshire.csv", "redshire-q2.csv", "two-sheets.xlsx"} <= loaded


def test_every_refused_file_is_named_in_the_run_summary_with_its_reason(
    hostile_run: tuple[RunOutcome, Path],
) -> None:
    outcome, _ = hostile_run
    summary = outcome.summary()
    for name in (
        "no-permission.csv",
        "vanished.csv",
        "outside-link.csv",
        "quote.csv",
        "semicolons.csv",
    ):
        assert f"rejected file {name}: " in summary


def test_a_link_out_of_the_folder_is_quarantined_by_name_and_its_target_never_read(
    hostile_run: tuple[RunOutcome, Path], hostile_warehouse: duckdb.DuckDBPyConnection
) -> None:
    outcome, _ = hostile_run
    assert rejected_file_reasons(outcome)["outside-link.csv"].startswith(
        "the file is a link to a file outside the returns folder"
    )
    authorities = hostile_warehouse.sql("select distinct authority from raw.returns").fetchall()
    assert ("Outshire",) not in authorities


def test_a_swallowing_quote_quarantines_its_file_and_rows_in_still_equal_rows_out(
    hostile_run: tuple[RunOutcome, Path], hostile_warehouse: duckdb.DuckDBPyConnection
) -> None:
    outcome, _ = hostile_run
    assert "row 3's commentary cell opens a quote" in rejected_file_reasons(outcome)["quote.csv"]
    counts = outcome.counts
    assert counts["rows_read"] == counts["rows_valid"] + counts["rows_rejected"]
    assert not [c for c in outcome.failed_checks if "rows_read_equal" in str(c)]


def test_a_semicolon_separated_file_is_refused_saying_so(
    hostile_run: tuple[RunOutcome, Path],
) -> None:
    outcome, _ = hostile_run
    assert "separates its cells with semicolons" in rejected_file_reasons(outcome)["semicolons.csv"]


def test_a_file_the_older_reader_quarantined_is_read_again_by_the_new_one(
    hostile_run: tuple[RunOutcome, Path], hostile_warehouse: duckdb.DuckDBPyConnection
) -> None:
    outcome, _ = hostile_run
    reasons = rejected_file_reasons(outcome)
    assert "fixed-later.csv" not in reasons
    # A file this reader quarantined is not read again.
    assert (
        reasons["kept-out.csv"] == f"{pipelines.readers.return_files.READER_VERSION} refused this"
    )
    rows = hostile_warehouse.sql(
        "select count(*) from raw.returns where file_path = 'fixed-later.csv'"
    ).fetchall()
    assert rows == [(1,)]
    versions = hostile_warehouse.sql(
        "select distinct reader_version from quarantine.rejected_files"
    ).fetchall()
    assert versions == [(pipelines.readers.return_files.READER_VERSION,)]


def findings(warehouse: duckdb.DuckDBPyConnection, check_name: str) -> list[dict[str, object]]:
    return (
        warehouse.sql(
            "select * from quality.dq_flags where check_name = ? order by authority",
            params=[check_name],
        )
        .pl()
        .to_dicts()
    )


def test_a_formula_with_no_saved_value_is_a_finding_naming_its_cell_and_in_a_target_a_rejection(
    hostile_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    (finding,) = findings(hostile_warehouse, "formula_without_value")
    assert finding["authority"] == "Formulashire" and finding["ref"] == "CYP-006"
    assert "q2 (cell I2: =H2*2)" in finding["message"]
    rejected = hostile_warehouse.sql(
        "select row_number, column_name, reason from quarantine.rejected_rows "
        "where file_path = 'formulas.xlsx'"
    ).fetchall()
    assert [(row, column) for row, column, _ in rejected] == [(3, "target")]
    assert "target holds a formula with no saved value" in rejected[0][2]


def test_the_visible_sheet_is_read_and_which_sheet_and_why_is_recorded_and_found(
    hostile_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    ((sheet, choice),) = hostile_warehouse.sql(
        "select sheet, sheet_choice from raw.return_files where file_path = 'two-sheets.xlsx'"
    ).fetchall()
    assert sheet == "Return (2)" and "the sheet named 'Return' is hidden" in choice
    assert hostile_warehouse.sql(
        "select q2 from raw.returns where file_path = 'two-sheets.xlsx'"
    ).fetchall() == [("42",)]
    (finding,) = findings(hostile_warehouse, "sheet_chosen")
    assert finding["authority"] == "Sheetshire"
    assert "two-sheets.xlsx: sheet 'Return (2)' was read" in finding["message"]


def test_an_authority_in_capitals_is_the_same_authority_and_its_spelling_a_finding(
    hostile_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    authorities = hostile_warehouse.sql(
        "select distinct authority from marts.fct_indicator_observations "
        "where lower(authority) = 'redshire'"
    ).fetchall()
    assert authorities == [("Redshire",)]
    (finding,) = findings(hostile_warehouse, "authority_spelling")
    assert (finding["authority"], finding["reporting_period"]) == ("Redshire", "2024-25 Q1")
    assert finding["observed"] == "REDSHIRE"
