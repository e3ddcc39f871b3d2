"""The report's charts: for each summary table, its split per priority as stacked bars.

Drawn by matplotlib as SVG and embedded in the page, so nothing is fetched when
it is read. Colour is never the only cue: each category also has its own
hatching and its own label, the palette is Okabe and Ito's (safe for the common
colour-blindnesses), and the SVG carries a title and a description that say the
numbers in words for a screen reader.
"""

from __future__ import annotations

import html
import io
import re

import matplotlib
from matplotlib.figure import Figure

# Okabe-Ito colours with hatching, in category order, per table.
STYLES = {
    "performance": (("#009E73", ""), ("#E69F00", "//"), ("#D55E00", "xx")),
    "trend": (("#0072B2", ""), ("#D55E00", "xx"), ("#BBBBBB", "..")),
    "quartiles": (("#0072B2", ""), ("#56B4E9", "//"), ("#E69F00", "\\\\"), ("#D55E00", "xx")),
}

matplotlib.rcParams.update(
    {"svg.fonttype": "none", "font.family": "sans-serif", "font.size": 9, "hatch.color": "#222222"}
)


def stacked_bars(
    kind: str,
    title: str,
    bar_labels: list[str],
    categories: list[str],
    counts: list[list[int]],
    description: str,
    chart_id: str,
) -> str:
    """An SVG of one horizontal bar per row, split into the categories' counts."""
    # A Figure of its own, not pyplot's global state: safe to draw from any thread.
    figure = Figure(figsize=(5.2, 0.38 * len(bar_labels) + 1.1))
    axes = figure.subplots()
    lefts = [0] * len(bar_labels)
    for index, (category, (colour, hatch)) in enumerate(zip(categories, STYLES[kind], strict=True)):
        widths = [row[index] for row in counts]
        axes.barh(bar_labels, widths, left=lefts, color=colour, hatch=hatch,
                  edgecolor="#222222", linewidth=0.6, label=category)  # fmt: skip
        lefts = [left + width for left, width in zip(lefts, widths, strict=True)]
    axes.invert_yaxis()
    axes.set_xlabel("Number of indicators")
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28 if len(bar_labels) < 5 else -0.12),
                ncol=len(categories), frameon=False, fontsize=8)  # fmt: skip
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    # Dimensions in the page's own units, and the words a screen reader says.
    opening = re.match(r"<svg[^>]*>", svg).group(0)
    accessible = opening.replace(
        "<svg",
        f'<svg role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" class="chart"',
        1,
    )
    text = (
        f'<title id="{chart_id}-title">{html.escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{html.escape(description)}</desc>'
    )
    return svg.replace(opening, accessible + text, 1)
