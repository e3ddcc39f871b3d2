"""Synthetic quarterly returns at any scale, deterministic for a seed.

    python benchmarks/generate_returns.py OUT_DIR --authorities 50 --quarters 12 \
        --indicators 250 [--seed 7] [--expected-returns PATH]

One file per authority and quarter (`<authority>/<year>/<quarter>.csv`), each a
valid return of the contract with every indicator, typed as services type:
thousands separators, per cent signs, `N/A`, `-`, `To be reported in Q3`
(about 5% of value cells are text), cumulative and snapshot measures,
quartile cells with averages run in. Each return repeats the
year's earlier quarters, and about 2% of them revise an earlier figure. About
one row in a thousand has a target that is not a number, and one file in five
hundred is empty: the gate must quarantine them, not stop. About one row in a
hundred prints a variance and an arrow that are slips (random, as a hand-copied
figure can be), for the reported-figure checks to find; the rest leave the
printed columns blank, as a return may, rather than copy the rules here.
"""

from __future__ import annotations

import argparse
import csv
import random
from dataclasses import dataclass
from pathlib import Path

from pipelines.quarters import Quarter

HEADER = [
    "authority",
    "reporting_period",
    "priority",
    "tier",
    "ref",
    "indicator",
    "frequency",
    "polarity",
    "measure_type",
    "previous_outturn",
    "target",
    "q1",
    "q2",
    "q3",
    "q4",
    "reported_variance",
    "reported_trend",
    "comparative_quartile",
    "commentary",
]
FIRST_QUARTER = Quarter(2021, 1)
FIRST_YEAR = FIRST_QUARTER.start_year
TEXT_CELLS = ("N/A", "-", "To be reported in Q3", "Data collection currently suspended by NHS")
PRINTED_SLIPS = 0.01
ARROWS = ("\u2191", "\u2193", "\u2194")
QUARTILES = ("1st", "2nd", "3rd", "4th")


@dataclass(frozen=True)
class Indicator:
    ref: str
    title: str
    priority: int
    tier: int
    polarity: str
    cumulative: bool
    percentage: bool
    level: float  # a typical annual value


def indicators(count: int, rng: random.Random) -> list[Indicator]:
    made = []
    for number in range(1, count + 1):
        percentage = rng.random() < 0.5
        cumulative = not percentage and rng.random() < 0.4
        level = rng.uniform(20, 95) if percentage else rng.choice([12, 150, 2_400, 1_400_000])
        kind = "Percentage of" if percentage else "Number of"
        made.append(
            Indicator(
                ref=f"{'ABCDEF'[number % 6]}{'XYZ'[number % 3]}-{number:03d}",
                title=f"{kind} residents helped by service {number}"
                + (" in the year" if cumulative else ""),
                priority=number % 6 + 1,
                tier=1 if number % 3 else 2,
                polarity="Higher" if rng.random() < 0.6 else "Lower",
                cumulative=cumulative,
                percentage=percentage,
                level=level,
            )
        )
    return made


def typed(value: float, indicator: Indicator, rng: random.Random) -> str:
    """A number as a person types it."""
    if indicator.percentage:
        return f"{value:.1f}%" if rng.random() < 0.5 else f"{value:.1f}"
    if value >= 1000:
        return f"{round(value):,}"
    return f"{value:.1f}" if value < 100 else str(round(value))


def value_at(
    indicator: Indicator, authority: int, year: int, quarter: int, revision: float
) -> float:
    """A steady figure with a per-authority level, a drift by year and a revision."""
    level = indicator.level * (0.8 + 0.04 * (authority % 10)) * (1 + 0.02 * (year - FIRST_YEAR))
    if indicator.cumulative:
        level *= quarter / 4
    value = level * (1 + 0.03 * ((quarter * 7 + authority) % 5 - 2) / 2) * revision
    return min(value, 100.0) if indicator.percentage else value


def write_return(
    path: Path,
    authority: int,
    quarter: Quarter,
    catalogue: list[Indicator],
    rng: random.Random,
) -> int:
    year = quarter.start_year
    rows = []
    for indicator in catalogue:
        target = indicator.level * (0.85 + 0.1 * (authority % 3))
        last_outturn = value_at(indicator, authority, year - 1, 4, 1)
        # Two years back, as returns type a comparator period: 2022/23.
        comparison_year = quarter.year_earlier().year_earlier().financial_year.replace("-", "/")
        cells: dict[str, str] = {}
        for q in range(1, quarter.number + 1):
            revision = 1.03 if q < quarter.number and rng.random() < 0.02 else 1.0
            value = value_at(indicator, authority, year, q, revision)
            text = rng.random() < 0.05
            cells[f"q{q}"] = rng.choice(TEXT_CELLS) if text else typed(value, indicator, rng)
        slip = rng.random() < PRINTED_SLIPS
        rows.append(
            {
                "authority": f"Authority {authority:03d}",
                "reporting_period": quarter.key,
                "priority": str(indicator.priority),
                "tier": f"Tier {indicator.tier}",
                "ref": indicator.ref,
                "indicator": indicator.title,
                "frequency": "Quarterly",
                "polarity": indicator.polarity,
                "measure_type": "cumulative" if indicator.cumulative else "",
                "previous_outturn": typed(last_outturn, indicator, rng),
                "target": "abc" if rng.random() < 0.001 else typed(target, indicator, rng),
                **cells,
                "reported_variance": f"{rng.uniform(-20, 20):.2f}%" if slip else "",
                "reported_trend": rng.choice(ARROWS) if slip else "",
                "comparative_quartile": f"{rng.choice(QUARTILES)} Quartile Eng Av. "
                f"{indicator.level:.0f} LA Av. {indicator.level * 1.1:.0f} ({comparison_year})",
                "commentary": "Performance is in line with the year so far.",
            }
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def quarter_at(index: int) -> Quarter:
    """The index-th quarter generated (0 is 2021-22 Q1)."""
    return Quarter.from_index(FIRST_QUARTER.index + index)


def generate(
    out_dir: Path,
    authorities: int,
    quarters: int,
    indicator_count: int,
    seed: int = 7,
    *,
    first_quarter: int = 0,
) -> dict[str, int]:
    """Returns for quarters `first_quarter` to `quarters - 1` (0 is 2021-22 Q1) of every
    authority. Each file has its own random stream, so generating one more quarter
    later adds that quarter's files and leaves the others byte for byte the same."""
    catalogue = indicators(indicator_count, random.Random(seed))
    files = rows = 0
    for authority in range(1, authorities + 1):
        for index in range(first_quarter, quarters):
            rng = random.Random(f"{seed}-{authority}-{index}")
            quarter = quarter_at(index)
            path = (
                out_dir
                / f"authority-{authority:03d}"
                / quarter.financial_year
                / f"{quarter.name}.csv"
            )
            if rng.random() < 0.002:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"")  # a file that arrived empty
            else:
                rows += write_return(path, authority, quarter, catalogue, rng)
            files += 1
    return {"files": files, "rows": rows}


def write_expected_returns(path: Path, authorities: int, indicator_count: int) -> None:
    """The register that says every authority returns every priority each quarter."""
    priorities = sorted({number % 6 + 1 for number in range(1, indicator_count + 1)})
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["authority", "priority", "frequency", "from_period"])
        for authority in range(1, authorities + 1):
            for priority in priorities:
                authority_name = f"Authority {authority:03d}"
                writer.writerow([authority_name, priority, "Quarterly", FIRST_QUARTER.key])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--authorities", type=int, required=True)
    parser.add_argument("--quarters", type=int, required=True)
    parser.add_argument("--indicators", type=int, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--expected-returns",
        type=Path,
        help="also write the expected-returns register for these authorities here",
    )
    arguments = parser.parse_args()
    made = generate(
        arguments.out_dir,
        arguments.authorities,
        arguments.quarters,
        arguments.indicators,
        arguments.seed,
    )
    if arguments.expected_returns:
        write_expected_returns(
            arguments.expected_returns, arguments.authorities, arguments.indicators
        )
    print(f"{made['files']} files, {made['rows']} indicator rows in {arguments.out_dir}")


if __name__ == "__main__":
    main()
