"""Comparator quartiles computed, not copied: marts.fct_comparator_position
(sql/marts/fct_comparator_position.sql, its rules in sql/macros/quartiles.sql).

Each test writes a comparator return by hand into staging.stg_comparator_returns,
builds the model from its SQL file, and checks it against figures worked by hand
in the comment beside them:

- 'lait' (DfE LAIT): cut points are type 7 percentiles (Excel PERCENTILE.INC): for
  the n sorted values x1..xn, h = (n - 1) * p + 1 and P = x[h] + frac(h) * (x[h+1] - x[h]).
  Higher is better: > P75 is 1, > P50 is 2, > P25 is 3, else 4; lower is better,
  the mirror (< P25 is 1, < P50 is 2, < P75 is 3, else 4). On a cut point: the worse band.
- 'ohid' (PHEindicatormethods phe_quantile, nquantiles = 4), on the rank r among
  the n members with a value (ties take the lowest rank):
  floor(5 - ceiling((n + 1 - r) / (n / 4))), 0 read as 1; no quartile where n < 4.
- 'ntile': NTILE(4) over the members best first, ties A to Z by member name; the
  first n % 4 quartiles take one member more.
"""

from __future__ import annotations

import duckdb
import pytest

from pipelines.paths import SQL_DIR
from pipelines.quarters import Quarter

MODEL_SQL = (SQL_DIR / "marts" / "fct_comparator_position.sql").read_text()

STAGING_COLUMNS = {
    "file_path": "varchar",
    "row_number": "integer",
    "authority": "varchar",
    "reporting_period": "varchar",
    "financial_year_start": "integer",
    "reporting_quarter": "integer",
    "ref": "varchar",
    "indicator": "varchar",
    "polarity": "varchar",
    "comparator_group": "varchar",
    "comparator_period": "varchar",
    "member_authority": "varchar",
    "value": "double",
    "quartile_method": "varchar",
}
CIPFA = "CIPFA nearest neighbours"
DFE = "DfE statistical neighbours"
QUARTILES = ("quartile_lait", "quartile_ohid", "quartile_ntile", "quartile", "quartile_method")


def comparator_return(
    members: dict[str, float | None],
    *,
    authority: str = "Testshire",
    reporting_period: str = "2024-25 Q2",
    ref: str = "CYP-006",
    polarity: str = "Higher",
    comparator_group: str = CIPFA,
    comparator_period: str = "2022/23",
    quartile_method: str = "lait",
) -> list[dict[str, object]]:
    """One comparator group of an authority's comparator return: a row per member."""
    quarter = Quarter.parse(reporting_period)
    folder = f"{authority.lower()}/{quarter.financial_year}/{quarter.name}"
    return [
        {
            "file_path": f"{folder}/comparators.csv",
            "row_number": row_number,
            "authority": authority,
            "reporting_period": reporting_period,
            "financial_year_start": quarter.start_year,
            "reporting_quarter": quarter.number,
            "ref": ref,
            "indicator": "Number of looked after children per 10,000 children",
            "polarity": polarity,
            "comparator_group": comparator_group,
            "comparator_period": comparator_period,
            "member_authority": member,
            "value": value,
            "quartile_method": quartile_method,
        }
        for row_number, (member, value) in enumerate(members.items(), start=2)
    ]


def every_members_return(members: dict[str, float | None], **group: str) -> list[dict]:
    """The same group as each of its members' own returns give it."""
    return [
        row for member in members for row in comparator_return(members, authority=member, **group)
    ]


def build(rules: duckdb.DuckDBPyConnection, rows: list[dict[str, object]]) -> list[dict]:
    """Load the rows as staging.stg_comparator_returns, build the model, return its rows."""
    rules.execute("create schema if not exists staging")
    rules.execute("create schema if not exists marts")
    columns = ", ".join(f"{name} {kind}" for name, kind in STAGING_COLUMNS.items())
    rules.execute(f"create or replace table staging.stg_comparator_returns ({columns})")
    placeholders = ", ".join("?" * len(STAGING_COLUMNS))
    rules.executemany(
        f"insert into staging.stg_comparator_returns values ({placeholders})",
        [[row[name] for name in STAGING_COLUMNS] for row in rows],
    )
    rules.execute(f"create or replace table marts.fct_comparator_position as\n{MODEL_SQL}")
    result = rules.execute("select * from marts.fct_comparator_position")
    names = [column[0] for column in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def by_authority(positions: list[dict]) -> dict[str, dict]:
    assert len({p["authority"] for p in positions}) == len(positions)
    return {p["authority"]: p for p in positions}


def only(positions: list[dict]) -> dict:
    assert len(positions) == 1
    return positions[0]


def by_method(position: dict) -> tuple[int | None, int | None, int | None]:
    return position["quartile_lait"], position["quartile_ohid"], position["quartile_ntile"]


def test_lait_cut_points_are_type_7_percentiles_of_the_group_with_the_authority(rules) -> None:
    # Sorted: 10 20 30 40 50 60 70 80, n = 8, Testshire's own 50 among them.
    #   P25: h = 7 * 0.25 + 1 = 2.75 -> 20 + 0.75 * (30 - 20) = 27.5
    #   P50: h = 4.5 -> 40 + 0.5 * (50 - 40) = 45
    #   P75: h = 6.25 -> 60 + 0.25 * (70 - 60) = 62.5
    # (Without Testshire's 50 they would be 25, 40 and 65.)
    # Higher is better: 45 < 50 <= 62.5 -> quartile 2; rank 4 (80, 70, 60 above it).
    members = {
        "Ashby": 80, "Bolton": 70, "Cheshire": 60, "Testshire": 50,
        "Dunmore": 40, "Eastleigh": 30, "Fenwick": 20, "Gorton": 10,
    }  # fmt: skip
    position = only(build(rules, comparator_return(members)))
    assert position["group_size"] == 8
    assert position["group_mean"] == pytest.approx(45)  # 360 / 8
    assert position["group_p25"] == pytest.approx(27.5)
    assert position["group_median"] == pytest.approx(45)
    assert position["group_p75"] == pytest.approx(62.5)
    assert position["value"] == 50
    assert position["authority_in_group"] is True
    assert position["rank"] == 4
    assert position["quartile_lait"] == 2
    assert (position["quartile"], position["quartile_method"]) == (2, "lait")


@pytest.mark.parametrize(
    ("polarity", "expected"),
    [
        # Higher is better: 5 > P75 -> 1; 4 = P75 -> 2; 3 = P50 -> 3; 2 = P25 -> 4; 1 -> 4.
        ("Higher", {"Ashby": 1, "Bolton": 2, "Cheshire": 3, "Dunmore": 4, "Eastleigh": 4}),
        # Lower is better: 1 < P25 -> 1; 2 = P25 -> 2; 3 = P50 -> 3; 4 = P75 -> 4; 5 -> 4.
        ("Lower", {"Ashby": 4, "Bolton": 4, "Cheshire": 3, "Dunmore": 2, "Eastleigh": 1}),
    ],
)
def test_lait_puts_a_value_on_a_cut_point_in_the_worse_band(rules, polarity, expected) -> None:
    # Sorted: 1 2 3 4 5, n = 5: h = 2, 3, 4 exactly, so P25 = 2, P50 = 3, P75 = 4,
    # each a member's own value.
    members = {"Ashby": 5, "Bolton": 4, "Cheshire": 3, "Dunmore": 2, "Eastleigh": 1}
    positions = by_authority(build(rules, every_members_return(members, polarity=polarity)))
    assert {p["group_p25"] for p in positions.values()} == {2}
    assert {p["group_median"] for p in positions.values()} == {3}
    assert {p["group_p75"] for p in positions.values()} == {4}
    assert {name: p["quartile_lait"] for name, p in positions.items()} == expected


# Six members, two of them tied, in both polarities (the same standing either way):
#                 Higher  Lower  rank  LAIT  OHID  NTILE
#   Ashby            90     50     1     1     1     1
#   Bolton           80     60     2     2     1     1
#   Cheshire         80     60     2     2     1     2
#   Dunmore          70     70     4     3     3     2
#   Eastleigh        60     80     5     4     3     3
#   Fenwick          50     90     6     4     4     4
# LAIT, higher: sorted 50 60 70 80 80 90; P25: h = 2.25 -> 60 + 0.25 * 10 = 62.5;
#   P50: h = 3.5 -> 70 + 0.5 * 10 = 75; P75: h = 4.75 -> 80 + 0.75 * 0 = 80.
#   90 > 80 -> 1; 80 = P75 -> 2; 75 >= 70 > 62.5 -> 3; 60, 50 <= 62.5 -> 4.
# LAIT, lower: sorted 50 60 60 70 80 90; P25: h = 2.25 -> 60 + 0.25 * 0 = 60;
#   P50: h = 3.5 -> 60 + 0.5 * 10 = 65; P75: h = 4.75 -> 70 + 0.75 * 10 = 77.5.
#   50 < 60 -> 1; 60 = P25 -> 2; 65 <= 70 < 77.5 -> 3; 80, 90 >= 77.5 -> 4.
# OHID, n = 6, n / 4 = 1.5: r = 1: 6 / 1.5 = 4 -> 5 - 4 = 1; r = 2: 5 / 1.5 = 3.33 -> 1;
#   r = 4: 3 / 1.5 = 2 -> 3; r = 5: 2 / 1.5 = 1.33 -> 3; r = 6: 1 / 1.5 = 0.67 -> 4.
# NTILE, n = 6: quartiles of 2, 2, 1, 1 members; the tie goes Bolton before Cheshire.
STANDINGS = {
    "Ashby": (1, 1, 1, 1),
    "Bolton": (2, 2, 1, 1),
    "Cheshire": (2, 2, 1, 2),
    "Dunmore": (4, 3, 3, 2),
    "Eastleigh": (5, 4, 3, 3),
    "Fenwick": (6, 4, 4, 4),
}


@pytest.mark.parametrize(
    ("polarity", "values", "cut_points"),
    [
        ("Higher", [90, 80, 80, 70, 60, 50], (62.5, 75, 80)),
        ("Lower", [50, 60, 60, 70, 80, 90], (60, 65, 77.5)),
    ],
)
def test_tied_members_share_the_best_rank_and_each_method_bands_them_its_way(
    rules, polarity, values, cut_points
) -> None:
    # Written Z to A, so that the NTILE tie-break is by name, not by row order.
    members = dict(reversed(list(zip(STANDINGS, values, strict=True))))
    positions = by_authority(build(rules, every_members_return(members, polarity=polarity)))
    for p in positions.values():
        assert (p["group_p25"], p["group_median"], p["group_p75"]) == pytest.approx(cut_points)
    assert {name: (p["rank"], *by_method(p)) for name, p in positions.items()} == STANDINGS


def test_a_group_of_four_members_is_put_into_quartiles(rules) -> None:
    # Sorted: 10 20 20 30, n = 4. P25: h = 1.75 -> 10 + 0.75 * 10 = 17.5;
    # P50: h = 2.5 -> 20 + 0.5 * 0 = 20; P75: h = 3.25 -> 20 + 0.25 * 10 = 22.5.
    # Higher is better. Ranks 1, 2, 2, 4.
    # LAIT: 30 > 22.5 -> 1; 20 = P50 -> 3 (the worse band); 10 <= 17.5 -> 4.
    # OHID, n / 4 = 1: floor(5 - ceiling(5 - r)) = r, so 1, 2, 2, 4.
    # NTILE: one each, the tie A to Z: Bolton 2, Cheshire 3.
    members = {"Dunmore": 10, "Cheshire": 20, "Bolton": 20, "Ashby": 30}
    positions = by_authority(build(rules, every_members_return(members)))
    assert {name: (p["group_size"], p["rank"], *by_method(p)) for name, p in positions.items()} == {
        "Ashby": (4, 1, 1, 1, 1),
        "Bolton": (4, 2, 3, 2, 2),
        "Cheshire": (4, 2, 3, 2, 3),
        "Dunmore": (4, 4, 4, 4, 4),
    }


@pytest.mark.parametrize("method", ["lait", "ohid", "ntile"])
def test_a_group_of_three_has_its_statistics_and_rank_but_no_quartile(rules, method) -> None:
    # 10 20 30, higher is better: mean 20, median 20, Testshire's 20 ranks 2nd.
    members = {"Ashby": 30, "Testshire": 20, "Cheshire": 10}
    position = only(build(rules, comparator_return(members, quartile_method=method)))
    assert position["group_size"] == 3
    assert position["group_mean"] == pytest.approx(20)
    assert position["group_median"] == pytest.approx(20)
    assert position["rank"] == 2
    assert {column: position[column] for column in QUARTILES} == dict.fromkeys(QUARTILES)
    assert position["return_quartile_method"] == method


def test_a_member_without_a_value_is_not_counted_ranked_or_quartiled(rules) -> None:
    # Bolton's value is missing: four members have one, sorted 10 20 30 40.
    # Mean 100 / 4 = 25 (not 100 / 5 = 20). P25: h = 1.75 -> 17.5; P50: h = 2.5 -> 25;
    # P75: h = 3.25 -> 30 + 0.25 * 10 = 32.5.
    # Testshire's 30, higher is better: rank 2; LAIT 25 < 30 <= 32.5 -> 2;
    # OHID n = 4 -> its rank, 2 (were n 5: (6 - 2) / 1.25 = 3.2 -> 1);
    # NTILE over four -> 2 (over five, quartiles of 2, 1, 1, 1 -> 1).
    members = {"Ashby": 40, "Bolton": None, "Testshire": 30, "Dunmore": 20, "Eastleigh": 10}
    rows = comparator_return(members) + comparator_return(members, authority="Bolton")
    positions = by_authority(build(rules, rows))

    testshire = positions["Testshire"]
    assert testshire["group_size"] == 4
    assert testshire["group_mean"] == pytest.approx(25)
    assert (testshire["group_p25"], testshire["group_median"], testshire["group_p75"]) == (
        pytest.approx((17.5, 25, 32.5))
    )
    assert testshire["rank"] == 2
    assert by_method(testshire) == (2, 2, 2)

    # Bolton's own return: a member with no value has no position, the group's figures stand.
    bolton = positions["Bolton"]
    assert bolton["authority_in_group"] is True
    assert bolton["value"] is None
    assert bolton["rank"] is None
    assert {column: bolton[column] for column in QUARTILES} == dict.fromkeys(QUARTILES)
    assert bolton["group_size"] == 4
    assert bolton["group_mean"] == pytest.approx(25)
    assert bolton["group_median"] == pytest.approx(25)


def test_an_authority_absent_from_its_group_has_the_groups_figures_but_no_position(rules) -> None:
    # Testshire's return lists four other councils: 10 20 30 40, mean 25, median 25.
    members = {"Ashby": 40, "Bolton": 30, "Cheshire": 20, "Dunmore": 10}
    position = only(build(rules, comparator_return(members)))
    assert position["authority"] == "Testshire"
    assert position["authority_in_group"] is False
    assert position["value"] is None
    assert position["rank"] is None
    assert {column: position[column] for column in QUARTILES} == dict.fromkeys(QUARTILES)
    assert position["return_quartile_method"] == "lait"
    assert position["group_size"] == 4
    assert position["group_mean"] == pytest.approx(25)
    assert position["group_median"] == pytest.approx(25)


@pytest.mark.parametrize(("method", "expected"), [("lait", 3), ("ohid", 1), ("ntile", 2)])
def test_the_quartile_is_the_one_the_returns_method_gives(rules, method, expected) -> None:
    # Higher is better; Testshire ties with Barton at the median: 40, 30, 30, 20, 10.
    # LAIT: sorted 10 20 30 30 40, n = 5: P25 = 20, P50 = 30, P75 = 30 (h = 2, 3, 4);
    #   30 is not above P75 nor P50, above P25 -> 3.
    # OHID: rank 2 of 5, n / 4 = 1.25: (6 - 2) / 1.25 = 3.2 -> ceiling 4 -> 5 - 4 = 1.
    # NTILE: quartiles of 2, 1, 1, 1 members: Ashby, Barton | Testshire | Dunmore | Eastleigh -> 2.
    members = {"Ashby": 40, "Barton": 30, "Testshire": 30, "Dunmore": 20, "Eastleigh": 10}
    position = only(build(rules, comparator_return(members, quartile_method=method)))
    assert by_method(position) == (3, 1, 2)
    assert position["quartile"] == expected
    assert position["quartile_method"] == method


def test_each_comparator_group_and_period_of_each_return_is_a_row_from_its_own_members(
    rules,
) -> None:
    rows = [
        # Testshire, CIPFA 2022/23: 10 20 30 40 -> mean 25; Testshire's 20 ranks 3rd.
        *comparator_return({"Ashby": 40, "Bolton": 30, "Testshire": 20, "Dunmore": 10}),
        # Testshire, CIPFA 2023/24: 11 33 44 50 -> mean 138 / 4 = 34.5; its 50 ranks 1st.
        *comparator_return(
            {"Ashby": 44, "Bolton": 33, "Testshire": 50, "Dunmore": 11}, comparator_period="2023/24"
        ),
        # Testshire, DfE 2022/23: 5 15 25 -> mean 15; its 5 ranks 3rd of 3, no quartile.
        *comparator_return({"Testshire": 5, "Xford": 15, "Yate": 25}, comparator_group=DFE),
        # Bolton's return gives Testshire a different figure: 10 30 40 99 -> mean 44.75,
        # which must not reach Testshire's own group.
        *comparator_return(
            {"Ashby": 40, "Bolton": 30, "Testshire": 99, "Dunmore": 10}, authority="Bolton"
        ),
    ]
    positions = {
        (p["authority"], p["comparator_group"], p["comparator_period"]): p
        for p in build(rules, rows)
    }
    assert {key: (p["group_size"], p["group_mean"], p["rank"]) for key, p in positions.items()} == {
        ("Testshire", CIPFA, "2022/23"): (4, pytest.approx(25), 3),
        ("Testshire", CIPFA, "2023/24"): (4, pytest.approx(34.5), 1),
        ("Testshire", DFE, "2022/23"): (3, pytest.approx(15), 3),
        ("Bolton", CIPFA, "2022/23"): (4, pytest.approx(44.75), 3),
    }
    assert positions[("Testshire", DFE, "2022/23")]["quartile"] is None
    testshire = positions[("Testshire", CIPFA, "2022/23")]
    assert (testshire["financial_year_start"], testshire["reporting_quarter"]) == (2024, 2)
    assert testshire["polarity"] == "Higher"
    assert testshire["source_file_paths"] == ["testshire/2024-25/Q2/comparators.csv"]


@pytest.mark.parametrize(
    ("group_size", "quartiles_by_rank"),
    [
        # floor(5 - ceiling((n + 1 - r) / (n / 4))), r = 1 .. n, worked by hand:
        (3, [None, None, None]),  # n < 4: no quartile
        (4, [1, 2, 3, 4]),  # n / 4 = 1: 5 - (5 - r) = r
        # n / 4 = 1.25: (6 - r) / 1.25 = 4, 3.2, 2.4, 1.6, 0.8 -> ceiling 4, 4, 3, 2, 1
        (5, [1, 1, 2, 3, 4]),
        # n / 4 = 1.75: (8 - r) / 1.75 = 4, 3.43, 2.86, 2.29, 1.71, 1.14, 0.57
        (7, [1, 1, 2, 2, 3, 3, 4]),
        # n / 4 = 2.5: (11 - r) / 2.5 = 4, 3.6, 3.2, 2.8, 2.4, 2, 1.6, 1.2, 0.8, 0.4
        (10, [1, 1, 1, 2, 2, 3, 3, 3, 4, 4]),
    ],
)
def test_ohid_quartiles_follow_the_phe_quantile_formula_rank_by_rank(
    rules, group_size, quartiles_by_rank
) -> None:
    quartile = "select rules.quartile_ohid(?::bigint, ?::bigint)"
    got = [
        rules.execute(quartile, [rank, group_size]).fetchall()[0][0]
        for rank in range(1, group_size + 1)
    ]
    assert got == quartiles_by_rank
