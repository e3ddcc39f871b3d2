"""The quarterly report as one self-contained HTML page, fit for a committee paper.

Laid out as the St Helens reports lay out Part 1: the three summary tables
per priority and in total, each beside its chart and compared with the same
quarter a year earlier; a scorecard per priority, Tier 1 then Tier 2; what is
performing well and what requires improvement; and the quarter's data-quality
findings. Printable on A4 and readable on a phone (a wide table scrolls in its
own box); status is given in words and by shape as well as colour; every table
has real headers and every chart a text alternative.
"""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from pipelines.quarters import Quarter
from pipelines.report.charts import stacked_bars
from pipelines.report.data import SUMMARY_TABLES, QuarterlyReportData

TEMPLATES = Path(__file__).parent / "templates"
# The status words are the performance table's own headers: one wording everywhere.
STATUS_LABELS = dict(
    zip(
        ("met", "within", "not met"),
        (name for _, name in SUMMARY_TABLES["performance"][1]),
        strict=True,
    )
)
TREND_LABELS = {"improved": "Improved", "worse": "Worse", "same": "The same"}
TARGET_BASIS_WORDS = {"annual": "annual", "pro rata": "annual, pro rata to date"}
# A bullet typed into a cell: the commentary is laid out a line per bullet.
_BULLET = re.compile(r"\s*[\u2022\u25cf\u25aa]\s*")


def percent(value: int | None) -> str:
    return "\u2013" if value is None else f"{value}%"  # an en dash for none


def whole_percents(counts: list[int]) -> list[int | None]:
    """Each count's share in whole per cents adding to exactly 100, by the largest
    remainder: every share is rounded down, and the points left over go one each to
    the shares that lost most. None for all where there is nothing to share."""
    total = sum(counts)
    if not total:
        return [None] * len(counts)
    exact = [count * 100 / total for count in counts]
    shares = [int(share) for share in exact]
    by_remainder = sorted(range(len(counts)), key=lambda i: exact[i] - shares[i], reverse=True)
    for index in by_remainder[: 100 - sum(shares)]:
        shares[index] += 1
    return shares


def figure(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def without_full_stop(text: str) -> str:
    """A title ending a clause before a colon: `…in settled accommodation.` loses its stop."""
    return text.rstrip().rstrip(".")


def commentary_lines(text: str | None) -> list[str]:
    """The lines of a commentary as the service typed them: a line per line break and
    per bullet, so a list typed into a cell reads as a list."""
    if not text:
        return []
    return [line for part in text.splitlines() for line in _BULLET.split(part) if line.strip()]


def target_kind(row: dict) -> str | None:
    """What kind of target period_target is: `annual`, `annual, pro rata to date`,
    `profiled for Q2`."""
    basis = row["period_target_basis"]
    if row["period_target"] is None or basis is None:
        return None
    if basis == "profiled":
        try:
            return f"profiled for {Quarter.parse(row['value_as_at_period_key'] or '').name}"
        # A value as at a month, or at no period, has no quarter to name.
        except ValueError:
            return "profiled"
    return TARGET_BASIS_WORDS.get(basis, basis)


def target_judged_against(row: dict) -> str:
    """`170 (annual)`, `85 (annual, pro rata to date)`, `40 (profiled for Q2)`."""
    if row["period_target"] is None:
        return ""
    kind = target_kind(row)
    return figure(row["period_target"]) + (f" ({kind})" if kind else "")


def _shares(row: dict, categories: tuple) -> list[int | None]:
    return whole_percents([row[f"n_{column}"] for column, _ in categories])


def _headline(key: str, total: dict | None) -> int | None:
    """The share the summary sentence quotes: the total row's per cents as printed."""
    if total is None or not total["n_with_data"]:
        return None
    shares = _shares(total, SUMMARY_TABLES[key][1])
    # performance: met + within; trend: improved; quartiles: the 1st quartile.
    return shares[0] + shares[1] if key == "performance" else shares[0]


HEADLINE_WORDS = {
    "performance": "of indicators met their target or came within 5% of it",
    "trend": "of indicators improved on a year earlier",
    "quartiles": "of indicators compared are in the top (1st, best) quartile",
}


def _summary_sentence(data: QuarterlyReportData, key: str) -> str:
    total = data.tables[key][-1] if data.tables[key] else None
    now = _headline(key, total)
    if now is None:
        return f"No indicator has data for this table at {data.reporting_period}."
    sentence = f"{percent(now)} {HEADLINE_WORDS[key]} at {data.reporting_period}"
    before = _headline(key, data.tables_year_earlier[key])
    if before is None:
        return sentence + f"; the warehouse holds no figures for {data.year_earlier_period}."
    return sentence + f", against {percent(before)} at {data.year_earlier_period}."


def _priority_label(data: QuarterlyReportData, priority: int | None) -> str:
    if priority is None:
        return "Total"
    name = data.priority_names.get(priority)
    return f"{priority}. {name}" if name else f"Priority {priority}"


def _table_view(data: QuarterlyReportData, key: str) -> dict:
    _, categories = SUMMARY_TABLES[key]
    rows = []
    for row in data.tables[key]:
        cells = [
            f"{percent(share)} ({row[f'n_{column}']})"
            for share, (column, _) in zip(_shares(row, categories), categories, strict=True)
        ]
        rows.append({"label": _priority_label(data, row["priority"]),
                     "n_with_data": row["n_with_data"], "cells": cells})  # fmt: skip
    labels = ["Total" if row["priority"] is None else f"Priority {row['priority']}"
              for row in data.tables[key]]  # fmt: skip
    counts = [[row[f"n_{column}"] for column, _ in categories] for row in data.tables[key]]
    words = "; ".join(
        f"{label}: "
        + ", ".join(
            f"{n} {name.lower()}" for n, (_, name) in zip(row_counts, categories, strict=True)
        )
        for label, row_counts in zip(labels, counts, strict=True)
    )
    title = {"performance": "Performance against target", "trend": "The performance trend",
             "quartiles": "Inter-authority comparison"}[key]  # fmt: skip
    return {
        "key": key,
        "title": title,
        "headers": [name for _, name in categories],
        "rows": rows,
        "sentence": _summary_sentence(data, key),
        "chart": stacked_bars(key, f"{title}, {data.reporting_period}, by priority", labels,
                              [name for _, name in categories], counts,
                              f"Number of indicators by priority. {words}.", f"chart-{key}"),
        "chart_text": words,
    }  # fmt: skip


def _scorecards(data: QuarterlyReportData) -> list[dict]:
    cards: dict[int, dict] = {}
    for row in data.scorecard:
        card = cards.setdefault(
            row["priority_number"],
            {"label": _priority_label(data, row["priority_number"]), "tiers": {}},
        )
        tier = f"Tier {row['tier']}" if row["tier"] else "Tier not given"
        card["tiers"].setdefault(tier, []).append(
            {
                **row,
                "status_label": STATUS_LABELS.get(row["performance_status"], "No status"),
                "status_class": (row["performance_status"] or "none").replace(" ", "-"),
                "trend_label": TREND_LABELS.get(row["trend"], "N/A")
                + (" (reported)" if row["trend_basis"] == "reported" else ""),
                "target_kind": target_kind(row),
                "variance": "" if row["variance_pct"] is None else f"{row['variance_pct']:.2f}%",
                "quartile": f"{row['comparative_quartile']} of 4"
                if row["comparative_quartile"]
                else "N/A",
                "quarters": [figure(cell) if cell is not None else "" for cell in row["quarters"]],
            }
        )
    return [
        {**card, "tiers": dict(sorted(card["tiers"].items()))} for _, card in sorted(cards.items())
    ]


def _bullet_view(row: dict) -> dict:
    return {**row, "target_judged": target_judged_against(row)}


class _RowsAsDictionaries(Environment):
    """`row.ref` reads a row's key at once. Jinja looks for an attribute first and a key
    only when that fails, and the failure is raised and caught: two thirds of the time
    of laying out a scorecard of three hundred rows."""

    def getattr(self, obj: object, attribute: str) -> object:
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


ENVIRONMENT = _RowsAsDictionaries(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"])
)
ENVIRONMENT.filters |= {
    "figure": figure,
    "without_full_stop": without_full_stop,
    "commentary_lines": commentary_lines,
}


def render(data: QuarterlyReportData) -> str:
    return ENVIRONMENT.get_template("quarterly_report.html.j2").render(
        data=data,
        tables=[_table_view(data, key) for key in SUMMARY_TABLES],
        scorecards=_scorecards(data),
        performing_well=[
            _bullet_view(row) for row in data.scorecard if row["performance_status"] == "met"
        ],
        requires_improvement=[
            _bullet_view(row) for row in data.scorecard if row["performance_status"] == "not met"
        ],
        quarter_labels=[quarter.name for quarter in data.quarter.year_to_date()],
        last_year=data.quarter.year_earlier().financial_year,
        this_year=data.quarter.financial_year,
        status_labels=STATUS_LABELS,
    )
