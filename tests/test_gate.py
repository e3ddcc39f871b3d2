"""Bad input: each fault gets its clear reason in quarantine, and nothing else is lost.

One Dagster run reads a folder of good returns beside every kind of bad one.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest

from assets import return_gate
from assets.return_gate import rows_read_equal_rows_valid_plus_rows_rejected
from pipelines.resources import Warehouse
from pipelines.run import RunOutcome
from tests.conftest import build, indicator_row, return_csv

# Rows written below, per readable file: the count every stage must account for.
DATA_ROWS = {"good.csv": 2, "faults.csv": 5, "duplicates.csv": 3, "windows-1252.csv": 1,
             "mixed-up.csv": 4, "refs.csv": 4}  # fmt: skip


def write_returns(folder: Path) -> None:
    (folder / "testshire").mkdir(parents=True)
    files = {
        "good.csv": return_csv(
            [indicator_row(), indicator_row(ref="CYP-008A", polarity="Higher", target="10%")]
        ),
        "faults.csv": return_csv(
            [
                indicator_row(ref="PH-005"),
                indicator_row(ref="PH-008", target="abc"),
                # Two faults on one row: both are reported, the row counted once.
                indicator_row(ref="ASC 6", polarity="Up"),
                indicator_row(ref="PH-010", reporting_period="Q5 2024-25", priority="Health"),
                indicator_row(ref="PH-011", authority="  ", target_q2="half"),
            ]
        ),
        "duplicates.csv": return_csv(
            [indicator_row(ref="CS-011"), indicator_row(ref="CS-012"), indicator_row(ref="CS-011")]
        ),
    }
    files["mixed-up.csv"] = return_csv(
        [
            indicator_row(ref="MIX-001"),
            indicator_row(ref="MIX-002"),
            indicator_row(ref="MIX-003", authority="Testshre"),
            indicator_row(ref="MIX-004", reporting_period="2024-25 Q3"),
        ]
    )
    files["refs.csv"] = return_csv(
        [
            indicator_row(ref="cyp-100"),
            indicator_row(ref="CYP-100"),
            indicator_row(ref="CYP-\u0660\u0660\u0666"),  # Arabic-Indic digits
            indicator_row(ref="CYP-101"),
        ]
    )
    for name, text in files.items():
        (folder / "testshire" / name).write_text(text)
    (folder / "testshire" / "truncated.xlsx").write_bytes(truncated_workbook())
    cp1252_row = indicator_row(
        ref="CYP-013", indicator="Young people\u2019s first entrants \u2013 rate"
    )
    (folder / "testshire" / "windows-1252.csv").write_bytes(
        return_csv([cp1252_row]).encode("cp1252")
    )
    (folder / "testshire" / "empty.csv").write_bytes(b"")
    (folder / "testshire" / "corrupt.xlsx").write_bytes(b"PK\x03\x04 half a workbook")
    (folder / "testshire" / "no-polarity.csv").write_text(
        "authority,reporting_period,priority,ref,indicator\nTestshire,2024-25 Q2,1,CYP-006,x\n"
    )
    (folder / "testshire" / "undecodable.csv").write_bytes(
        return_csv([indicator_row()]).encode() + b"\x81"
    )


def truncated_workbook() -> bytes:
    """A workbook whose sheet was cut off mid-save: the zip opens, the sheet's XML does not."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["authority", "reporting_period", "priority", "ref", "indicator",
                            "polarity"])  # fmt: skip
    whole = io.BytesIO()
    workbook.save(whole)
    cut = io.BytesIO()
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(cut, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(
                item, data[: len(data) // 2] if "worksheets/sheet" in item.filename else data
            )
    return cut.getvalue()


@pytest.fixture(scope="module")
def bad_input_run(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    folder = tmp_path_factory.mktemp("returns")
    write_returns(folder)
    return build(folder, tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb")


@pytest.fixture
def warehouse(bad_input_run: RunOutcome):
    with duckdb.connect(str(bad_input_run.warehouse), read_only=True) as connection:
        yield connection


def rejected_rows(warehouse, file_name: str) -> set[tuple]:
    return set(
        warehouse.sql(
            "select row_number, column_name, value, reason from quarantine.rejected_rows "
            "where file_path = ?",
            params=[f"testshire/{file_name}"],
        ).fetchall()
    )


def test_bad_rows_and_files_do_not_stop_the_good_ones_loading(bad_input_run, warehouse) -> None:
    assert bad_input_run.succeeded, bad_input_run.summary()
    refs = {
        r for (r,) in warehouse.sql("select ref from marts.fct_indicator_observations").fetchall()
    }
    assert {"CYP-006", "CYP-008A", "PH-005", "CS-012", "CYP-013", "MIX-001", "CYP-101"} <= refs
    assert not {"PH-008", "ASC 6", "PH-010", "PH-011", "CS-011", "MIX-003", "CYP-100"} & refs


def test_rows_read_equal_rows_loaded_plus_rows_quarantined(bad_input_run, warehouse) -> None:
    rows_in_files = sum(DATA_ROWS.values())
    counts = bad_input_run.counts
    assert counts["rows_read"] == rows_in_files
    assert counts["rows_valid"] + counts["rows_rejected"] == rows_in_files
    assert (counts["rows_valid"], counts["rows_rejected"]) == (8, 11)
    assert not [check for check in bad_input_run.failed_checks if check.blocking]


def test_a_non_numeric_target_is_rejected_with_what_to_write_instead(warehouse) -> None:
    (reason,) = [r for row, column, value, r in rejected_rows(warehouse, "faults.csv") if row == 3]
    assert reason.startswith("target is not a number")
    assert "leave it blank where no target is set" in reason
    assert (3, "target", "abc", reason) in rejected_rows(warehouse, "faults.csv")


def test_every_failure_of_a_row_is_reported_not_only_the_first(warehouse) -> None:
    failures = {
        (column, value)
        for row, column, value, _ in rejected_rows(warehouse, "faults.csv")
        if row == 4
    }
    assert failures == {("ref", "ASC 6"), ("polarity", "Up")}
    failures = {
        (column, value)
        for row, column, value, _ in rejected_rows(warehouse, "faults.csv")
        if row == 5
    }
    assert failures == {("reporting_period", "Q5 2024-25"), ("priority", "Health")}
    failures = {
        (column, value)
        for row, column, value, _ in rejected_rows(warehouse, "faults.csv")
        if row == 6
    }
    assert failures == {("authority", None), ("target_q2", "half")}


def test_rejections_name_file_row_column_and_expected_form(warehouse) -> None:
    reasons = {column: reason for _, column, _, reason in rejected_rows(warehouse, "faults.csv")}
    assert "e.g. CYP-006" in reasons["ref"]
    assert reasons["polarity"].startswith("polarity must be Higher or Lower")
    assert "2024-25 Q2" in reasons["reporting_period"]
    assert reasons["authority"].startswith("authority is blank")
    assert "profiled target for Q2" in reasons["target_q2"]


def test_a_duplicate_ref_rejects_both_rows_and_keeps_the_rest(warehouse) -> None:
    rows = rejected_rows(warehouse, "duplicates.csv")
    assert {(row, column, value) for row, column, value, _ in rows} == {
        (2, "ref", "CS-011"),
        (4, "ref", "CS-011"),
    }
    assert all("more than once in this return" in reason for *_, reason in rows)


def test_unreadable_files_are_quarantined_with_their_reason(warehouse) -> None:
    reasons = dict(
        warehouse.sql("select file_path, reason from quarantine.rejected_files").fetchall()
    )
    assert reasons.keys() == {
        "testshire/empty.csv",
        "testshire/corrupt.xlsx",
        "testshire/no-polarity.csv",
        "testshire/undecodable.csv",
        "testshire/truncated.xlsx",
    }
    assert reasons["testshire/empty.csv"] == "the file is empty"
    assert "not a readable Excel workbook" in reasons["testshire/corrupt.xlsx"]
    assert reasons["testshire/no-polarity.csv"].startswith("required column polarity missing")
    assert "neither UTF-8 nor Windows-1252" in reasons["testshire/undecodable.csv"]
    # A failure the reader never foresaw is still the file's, not the run's.
    assert reasons["testshire/truncated.xlsx"].startswith("the file could not be read (")


def test_a_windows_1252_return_loads_unmangled(warehouse) -> None:
    (title,) = warehouse.sql(
        "select indicator from marts.dim_indicators where ref = 'CYP-013'"
    ).fetchall()[0]
    assert title == "Young people\u2019s first entrants \u2013 rate"


def test_the_summary_tells_a_service_lead_what_was_rejected(bad_input_run) -> None:
    summary = bad_input_run.summary()
    assert "Rows: 19 read = 8 valid + 11 rejected" in summary
    assert "rejected file testshire/empty.csv: the file is empty" in summary
    assert (
        "rejected testshire/faults.csv row 3, column target ('abc'): target is not a number"
        in summary
    )


def test_loading_the_same_files_again_duplicates_nothing(bad_input_run, tmp_path) -> None:
    warehouse = tmp_path / "again.duckdb"
    shutil.copy(bad_input_run.warehouse, warehouse)
    again = build(bad_input_run.returns_dir, warehouse)
    assert again.succeeded, again.summary()
    assert again.counts == bad_input_run.counts


def judged(warehouse: Path) -> list[tuple[str, str, int]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.sql(
            "select file_path, rules_version, count(*) from validated.judged_files "
            "group by all order by all"
        ).fetchall()


def test_a_later_run_judges_only_the_returns_new_to_it(
    bad_input_run, tmp_path, monkeypatch
) -> None:
    # Batches of a file or two, so that the run writes several.
    monkeypatch.setattr(return_gate, "ROWS_PER_BATCH", 3)
    returns, warehouse = tmp_path / "returns", tmp_path / "later.duckdb"
    shutil.copytree(bad_input_run.returns_dir, returns)
    shutil.copy(bad_input_run.warehouse, warehouse)
    (returns / "testshire" / "late.csv").write_text(
        return_csv([indicator_row(ref="LATE-1"), indicator_row(ref="LATE-2", target="abc")])
    )
    before = {path: n for path, _, n in judged(warehouse)}
    later = build(returns, warehouse)
    assert later.succeeded, later.summary()
    after = {path: n for path, _, n in judged(warehouse)}
    assert after == before | {"testshire/late.csv": 1}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        ((loaded_at,),) = connection.sql(
            "select distinct judged_at from validated.judged_files "
            "where judged_at > "
            "(select min(earlier.judged_at) from validated.judged_files as earlier)"
        ).fetchall()
        judged_now = connection.sql(
            "select file_path from validated.judged_files where judged_at = ?", params=[loaded_at]
        ).fetchall()
    assert judged_now == [("testshire/late.csv",)]
    counts = later.counts
    assert counts["rows_read"] == bad_input_run.counts["rows_read"] + 2
    assert counts["rows_read"] == counts["rows_valid"] + counts["rows_rejected"]
    assert counts["rows_rejected"] == bad_input_run.counts["rows_rejected"] + 1


def test_when_the_gates_rules_change_every_row_is_judged_again_once(
    bad_input_run, tmp_path, monkeypatch
) -> None:
    warehouse = tmp_path / "new-rules.duckdb"
    shutil.copy(bad_input_run.warehouse, warehouse)
    monkeypatch.setattr(return_gate, "RULES_VERSION", "new-rules")
    monkeypatch.setattr(return_gate, "ROWS_PER_BATCH", 3)
    again = build(bad_input_run.returns_dir, warehouse)
    assert again.succeeded, again.summary()
    assert {version for _, version, _ in judged(warehouse)} == {"new-rules"}
    assert all(n == 1 for _, _, n in judged(warehouse))
    assert again.counts == bad_input_run.counts


def test_the_row_check_fails_when_a_row_is_lost_even_if_another_is_doubled(
    bad_input_run, tmp_path
) -> None:
    warehouse = tmp_path / "broken.duckdb"
    shutil.copy(bad_input_run.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("delete from validated.indicator_returns where ref = 'PH-005'")
        connection.execute(
            "insert into validated.indicator_returns "
            "select * from validated.indicator_returns where ref = 'CYP-101'"
        )
    result = rows_read_equal_rows_valid_plus_rows_rejected(warehouse=Warehouse(path=str(warehouse)))
    # The counts still add up (19 = 8 + 11); only the rows themselves show the loss.
    assert result.metadata["rows_valid"].value == 8
    assert result.metadata["rows_neither_valid_nor_rejected"].value == 1
    assert result.metadata["rows_valid_twice"].value == 1
    assert not result.passed


def test_a_row_for_another_authority_or_period_than_its_file_is_rejected(warehouse) -> None:
    rows = {
        (row, column, value) for row, column, value, _ in rejected_rows(warehouse, "mixed-up.csv")
    }
    assert rows == {(4, "authority", "Testshre"), (5, "reporting_period", "2024-25 Q3")}
    reasons = {column: r for _, column, _, r in rejected_rows(warehouse, "mixed-up.csv")}
    assert "a return holds one authority's figures" in reasons["authority"]


def test_refs_are_one_indicator_in_either_case_and_only_in_plain_digits(warehouse) -> None:
    rows = {(row, column, value) for row, column, value, _ in rejected_rows(warehouse, "refs.csv")}
    assert rows == {
        (2, "ref", "CYP-100"),
        (3, "ref", "CYP-100"),
        (4, "ref", "CYP-\u0660\u0660\u0666"),
    }


def test_a_folder_with_no_readable_return_still_quarantines_every_file(tmp_path) -> None:
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "empty.csv").write_bytes(b"")
    (folder / "notes.csv").write_text("not,a,return\n")
    outcome = build(folder, tmp_path / "warehouse.duckdb")
    assert outcome.succeeded and outcome.quarters == []
    assert dict(outcome.rejected_files) == {
        "empty.csv": "the file is empty",
        "notes.csv": "no header row found within the first 50 rows: expected a row naming "
        "the columns authority, reporting_period, priority, ref, indicator, polarity (an "
        "indicator return); or authority, reporting_period, objective_ref, milestone_ref, "
        "milestone (a milestone return); or authority, reporting_period, ref, polarity, "
        "comparator_group, comparator_period, member_authority (a comparator return)",
    }
