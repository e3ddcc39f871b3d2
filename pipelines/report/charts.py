"""The report's charts: for each summary table, its split per priority as stacked bars.

Written as SVG by hand and embedded in the page, so nothing is fetched when it
is read. (A plotting library drew them before: a tenth of a second a chart and
half a second to import, for three bar charts per report and a report per
authority and quarter.) Colour is never the only cue: each category also has
its own pattern and its own label, the palette is Okabe and Ito's (safe for the
common colour-blindnesses), and the SVG carries a title and a description that
say the numbers in words for a screen reader.
"""

from __future__ import annotations

import math
from html import escape

# Okabe-Ito colours with a pattern, in category order, per table.
STYLES = {
    "performance": (("#009E73", "solid"), ("#E69F00", "diagonal"), ("#D55E00", "cross")),
    "trend": (("#0072B2", "solid"), ("#D55E00", "cross"), ("#BBBBBB", "dots")),
    "quartiles": (
        ("#0072B2", "solid"), ("#56B4E9", "diagonal"), ("#E69F00", "back-diagonal"),
        ("#D55E00", "cross"),
    ),
}  # fmt: skip

# The marks each pattern draws on its colour, in an 8 x 8 tile.
PATTERN_MARKS = {
    "solid": "",
    "diagonal": '<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="#222" stroke-width="1"/>',
    "back-diagonal": '<path d="M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4" stroke="#222" stroke-width="1"/>',
    "cross": '<path d="M0,0 l8,8 M8,0 l-8,8" stroke="#222" stroke-width="1"/>',
    "dots": '<circle cx="4" cy="4" r="1.3" fill="#222"/>',
}

WIDTH = 520
LABEL_WIDTH = 90  # the priority labels left of the bars
RIGHT_MARGIN = 20
BAR_HEIGHT = 20
BAR_GAP = 8
AXIS_HEIGHT = 34  # tick labels and the axis title below the bars
LEGEND_ROW = 20
FONT = 'font-family="sans-serif" font-size="11"'


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
    styles = STYLES[kind]
    if len(styles) != len(categories):
        raise ValueError(f"a {kind} chart has {len(styles)} categories, not {len(categories)}")
    plot_width = WIDTH - LABEL_WIDTH - RIGHT_MARGIN
    largest = max((sum(row) for row in counts), default=0)
    step = _tick_step(largest)
    axis_max = max(step, math.ceil(largest / step) * step)
    scale = plot_width / axis_max
    bars_height = len(bar_labels) * (BAR_HEIGHT + BAR_GAP)
    legend = _legend_positions(categories)
    height = bars_height + AXIS_HEIGHT + LEGEND_ROW * (1 + max(row for _, row in legend)) + 8

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" class="chart" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        "<defs>",
        *(
            f'<pattern id="{chart_id}-{index}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="{colour}"/>{PATTERN_MARKS[pattern]}</pattern>'
            for index, (colour, pattern) in enumerate(styles)
        ),
        "</defs>",
    ]
    for tick in range(0, axis_max + 1, step):
        x = LABEL_WIDTH + tick * scale
        parts += [
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{bars_height}" stroke="#ddd"/>',
            f'<text x="{x:.1f}" y="{bars_height + 14}" text-anchor="middle" {FONT}>{tick}</text>',
        ]
    parts.append(
        f'<text x="{LABEL_WIDTH + plot_width / 2:.1f}" y="{bars_height + 30}" '
        f'text-anchor="middle" {FONT}>Number of indicators</text>'
    )
    for row_index, (label, row) in enumerate(zip(bar_labels, counts, strict=True)):
        y = row_index * (BAR_HEIGHT + BAR_GAP) + BAR_GAP / 2
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT / 2 + 4:.1f}" text-anchor="end" '
            f"{FONT}>{escape(label)}</text>"
        )
        left = 0
        for index, count in enumerate(row):
            if count:
                parts.append(
                    f'<rect x="{LABEL_WIDTH + left * scale:.1f}" y="{y:.1f}" '
                    f'width="{count * scale:.1f}" height="{BAR_HEIGHT}" '
                    f'fill="url(#{chart_id}-{index})" stroke="#222" stroke-width="0.6"/>'
                )
            left += count
    for index, (category, (legend_x, legend_row)) in enumerate(
        zip(categories, legend, strict=True)
    ):
        legend_y = bars_height + AXIS_HEIGHT + 6 + legend_row * LEGEND_ROW
        parts += [
            f'<rect x="{legend_x:.1f}" y="{legend_y}" width="12" height="12" '
            f'fill="url(#{chart_id}-{index})" stroke="#222" stroke-width="0.6"/>',
            f'<text x="{legend_x + 16:.1f}" y="{legend_y + 10}" {FONT}>{escape(category)}</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)


def _legend_positions(categories: list[str]) -> list[tuple[float, int]]:
    """Where each legend entry goes (x, row): along a row, a new row where the next
    entry would run past the chart's right edge."""
    positions: list[tuple[float, int]] = []
    x, row = float(LABEL_WIDTH), 0
    for category in categories:
        entry_width = 16 + 6.5 * len(category)
        if x > LABEL_WIDTH and x + entry_width > WIDTH - RIGHT_MARGIN:
            x, row = float(LABEL_WIDTH), row + 1
        positions.append((x, row))
        x += entry_width + 14
    return positions


def _tick_step(largest: int) -> int:
    """A round step giving at most about six ticks: 1, 2, 5, 10, 20, 50, ..."""
    for magnitude in (10**power for power in range(7)):
        for multiple in (1, 2, 5):
            if largest / (multiple * magnitude) <= 6:
                return multiple * magnitude
    return 10**7
