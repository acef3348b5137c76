"""Bar charts drawn on the server as inline SVG: no JavaScript, no image requests, they print
(colours kept), and every number is written beside its bar and in the chart's text
alternative, so a screen reader or a black-and-white printout loses nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

LABEL_WIDTH = 210
BAR_WIDTH = 460
NUMBER_WIDTH = 60
BAR_HEIGHT = 14
GAP = 10
LEGEND_HEIGHT = 26
FONT = 'font-family="system-ui,sans-serif" font-size="12"'


@dataclass(frozen=True)
class Series:
    name: str
    colour: str


@dataclass(frozen=True)
class Row:
    label: str
    values: Sequence[int]


def _legend(series: Sequence[Series]) -> str:
    parts, x = [], 0
    for one in series:
        parts.append(
            f'<rect x="{x}" y="4" width="12" height="12" fill="{one.colour}"/>'
            f'<text x="{x + 16}" y="14" {FONT}>{escape(one.name)}</text>'
        )
        x += 24 + 7 * len(one.name)
    return "".join(parts)


def _alt(title: str, series: Sequence[Series], rows: Sequence[Row]) -> str:
    if not rows:
        return f"{title}: nothing to show yet."
    said = "; ".join(
        f"{row.label}: "
        + ", ".join(f"{one.name} {value}" for one, value in zip(series, row.values, strict=True))
        for row in rows
    )
    return f"{title}. {said}."


def bar_chart(title: str, series: Sequence[Series], rows: Sequence[Row]) -> str:
    """Horizontal grouped bars, one group per row, one bar per series, on a common scale."""
    group = len(series) * BAR_HEIGHT + GAP
    height = LEGEND_HEIGHT + max(1, len(rows)) * group
    width = LABEL_WIDTH + BAR_WIDTH + NUMBER_WIDTH
    top = max((value for row in rows for value in row.values), default=0) or 1
    body = [f'<g transform="translate(0,0)">{_legend(series)}</g>']
    if not rows:
        body.append(f'<text x="0" y="{LEGEND_HEIGHT + 14}" {FONT}>Nothing to show yet.</text>')
    for n, row in enumerate(rows):
        y = LEGEND_HEIGHT + n * group
        middle = y + len(series) * BAR_HEIGHT / 2 + 4
        body.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{middle:.0f}" text-anchor="end" {FONT}>'
            f"{escape(row.label)}</text>"
        )
        for k, (one, value) in enumerate(zip(series, row.values, strict=True)):
            length = round(BAR_WIDTH * value / top)
            bar_y = y + k * BAR_HEIGHT
            body.append(
                f'<rect x="{LABEL_WIDTH}" y="{bar_y}" width="{length}" '
                f'height="{BAR_HEIGHT - 2}" fill="{one.colour}"/>'
                f'<text x="{LABEL_WIDTH + length + 4}" y="{bar_y + BAR_HEIGHT - 3}" {FONT}>'
                f"{value}</text>"
            )
    alt = escape(_alt(title, series, rows))
    return (
        f'<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px;'
        f'print-color-adjust:exact;-webkit-print-color-adjust:exact" aria-label="{alt}">'
        f"<title>{alt}</title>{''.join(body)}</svg>"
        f"<figcaption>{escape(title)}</figcaption></figure>"
    )
