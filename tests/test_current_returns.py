"""Which returns are current: every file the folder has held, in its last readable version
(staging.stg_current_return_files), not only what the folder holds now."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.conftest import build, indicator_row, return_csv


def value_at(warehouse: Path, ref: str, period: str = "2024-25 Q2") -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.sql(
            "select value, source_file_path from marts.fct_indicator_observations "
            "where ref = ? and period_key = ?",
            params=[ref, period],
        ).fetchall()


def test_a_file_changed_back_to_an_earlier_version_is_current_again(tmp_path) -> None:
    returns, warehouse = tmp_path / "returns", tmp_path / "warehouse.duckdb"
    returns.mkdir()
    version_1 = return_csv([indicator_row(ref="REV-001", q2="50")])
    version_2 = return_csv([indicator_row(ref="REV-001", q2="70")])
    for text, expected in ((version_1, 50.0), (version_2, 70.0), (version_1, 50.0)):
        (returns / "p1.csv").write_text(text)
        outcome = build(returns, warehouse)
        assert outcome.published, outcome.summary()
        assert value_at(warehouse, "REV-001") == [(expected, "p1.csv")]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        # Both versions stay in raw: nothing submitted is deleted.
        assert connection.sql("select count(*) from raw.return_files").fetchall() == [(2,)]


def test_a_return_no_longer_in_the_folder_keeps_its_history(tmp_path) -> None:
    returns, warehouse = tmp_path / "returns", tmp_path / "warehouse.duckdb"
    returns.mkdir()
    (returns / "p1.csv").write_text(return_csv([indicator_row(ref="GONE-001")]))
    (returns / "p2.csv").write_text(return_csv([indicator_row(ref="KEPT-001", priority="2")]))
    build(returns, warehouse)
    (returns / "p1.csv").unlink()
    outcome = build(returns, warehouse)
    # The folder may hold only this quarter's returns: earlier ones stay in the tables.
    assert "Files: 1 in the folder: 1 loaded, 0 rejected" in outcome.summary()
    assert value_at(warehouse, "GONE-001") == [(124.9, "p1.csv")]
    assert value_at(warehouse, "KEPT-001") == [(124.9, "p2.csv")]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.sql(
            "select count(*) from raw.returns where file_path = 'p1.csv'"
        ).fetchall() == [(1,)]


def test_one_ref_in_two_returns_of_a_period_is_flagged_and_resolved_the_same_way_each_time(
    tmp_path,
) -> None:
    returns = tmp_path / "returns"
    returns.mkdir()
    (returns / "service-a.csv").write_text(return_csv([indicator_row(ref="DUP-001", q2="20")]))
    (returns / "service-b.csv").write_text(
        return_csv([indicator_row(ref="DUP-001", q2="30", priority="4")])
    )
    first = build(returns, tmp_path / "one.duckdb")
    again = build(returns, tmp_path / "two.duckdb")
    assert value_at(first.warehouse, "DUP-001") == value_at(again.warehouse, "DUP-001")
    assert value_at(first.warehouse, "DUP-001") == [(30.0, "service-b.csv")]
    with duckdb.connect(str(first.warehouse), read_only=True) as connection:
        (message,) = connection.sql(
            "select message from quality.dq_flags where check_name = 'ref_in_two_returns'"
        ).fetchall()[0]
    assert message == (
        "DUP-001 is in 2 returns for 2024-25 Q2 (service-a.csv row 2, service-b.csv row 2); "
        "the figures of service-b.csv are used."
    )


def test_a_period_keeps_the_priority_and_target_its_own_return_gave(tmp_path) -> None:
    returns, warehouse = tmp_path / "returns", tmp_path / "warehouse.duckdb"
    returns.mkdir()
    (returns / "q1.csv").write_text(
        return_csv([indicator_row(ref="PRI-001", reporting_period="2024-25 Q1", priority="1",
                                  polarity="Higher", target="100", q1="96", q2="")])
    )  # fmt: skip
    (returns / "q2.csv").write_text(
        return_csv([indicator_row(ref="PRI-001", priority="2", polarity="Higher", target="90",
                                  q1="96", q2="97")])
    )  # fmt: skip
    build(returns, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.sql(
            "select period_key, priority_number, annual_target, performance_status "
            "from marts.fct_indicator_observations where ref = 'PRI-001' order by period_key"
        ).fetchall()
        q1_table = connection.sql(
            "select priority, n_within from marts.mart_priority_performance "
            "where reporting_period = '2024-25 Q1' and priority is not null"
        ).fetchall()
    # Q1 as its return left it: priority 1, 96 against 100 is within 95%.
    assert rows == [("2024-25 Q1", 1, 100.0, "within"), ("2024-25 Q2", 2, 90.0, "met")]
    assert q1_table == [(1, 1)]
