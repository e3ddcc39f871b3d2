"""The quarterly report as one self-contained HTML page, fit for a committee paper.

Laid out as the St Helens reports lay out Part 1: the three summary tables
per priority and in total, each beside its chart and compared with the same
quarter a year earlier; a scorecard per priority, Tier 1 then Tier 2; what is
performing well and what requires improvement; and the quarter's data-quality
findings. Printable on A4; status is given in words and by shape as well as
colour; every table has real headers and every chart a text alternative.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from pipelines.report.charts import stacked_bars
from pipelines.report.data import SUMMARY_TABLES, QuarterlyReportData

TEMPLATES = Path(__file__).parent / "templates"
STATUS_LABELS = {"met": "Met", "within": "Within 5%", "not met": "Not met"}
TREND_LABELS = {"improved": "Improved", "worse": "Worse", "same": "Same"}


def percent(value: float | None) -> str:
    """Per cents are printed rounded to the nearest whole number, as the reports print them."""
    return "\u2013" if value is None else f"{value:.0f}%"  # an en dash for none


def figure(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def _headline(key: str, total: dict | None) -> float | None:
    """The share the summary sentence quotes for a table's total row."""
    if total is None or not total["n_with_data"]:
        return None
    if key == "performance":
        return total["pct_met"] + total["pct_within"]
    if key == "trend":
        return total["pct_improved"]
    return total["pct_q1"]


HEADLINE_WORDS = {
    "performance": "of indicators met their target or came within 95% of it",
    "trend": "of indicators improved on a year earlier",
    "quartiles": "of indicators compared are in the top quartile",
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
            f"{percent(row[f'pct_{column}'])} ({row[f'n_{column}']})" for column, _ in categories
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


def render(data: QuarterlyReportData) -> str:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"])
    )
    environment.filters["figure"] = figure
    return environment.get_template("quarterly_report.html.j2").render(
        data=data,
        tables=[_table_view(data, key) for key in SUMMARY_TABLES],
        scorecards=_scorecards(data),
        performing_well=[row for row in data.scorecard if row["performance_status"] == "met"],
        requires_improvement=[
            row for row in data.scorecard if row["performance_status"] == "not met"
        ],
        quarter_labels=[key[-2:] for key in data.quarters_so_far],
        last_year=data.year_earlier_period[:7],
        this_year=data.reporting_period[:7],
        status_labels=STATUS_LABELS,
    )
