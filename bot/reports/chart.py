"""The weekly summary's chart: offers and students against target per profession, as a PNG.

matplotlib is imported inside `progress_chart`, so the bot starts without loading it; the
figure is drawn on the Agg canvas directly (no pyplot, no display, no global figure state),
which is safe in a server process.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass

from bot.kernel.messages import Image

WIDTH_INCHES, HEIGHT_INCHES, DPI = 8, 4, 100  # 800 x 400 pixels


@dataclass(frozen=True)
class Bar:
    """One profession's figures for the chart."""

    profession: str
    offers: int
    students: int
    target: int | None


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _percent(part: int, whole: int | None) -> str:
    return f"{round(100 * part / whole)}%" if whole else "no target"


def alt_text(title: str, bars: Sequence[Bar]) -> str:
    """The chart in words, every number in it, for screen readers and for email clients that
    do not show images."""
    if not bars:
        return f"{title}: no offers and no targets yet."
    parts = []
    for bar in bars:
        target = f"target {bar.target}" if bar.target else "no target"
        share = f" ({_percent(bar.offers, bar.target)})" if bar.target else ""
        parts.append(
            f"{bar.profession} {plural(bar.offers, 'offer')}, "
            f"{plural(bar.students, 'student')}, {target}{share}"
        )
    return f"{title}: " + "; ".join(parts) + "."


def render_png(title: str, bars: Sequence[Bar]) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title(title, fontsize=12, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    if not bars:
        axes.set_xticks([])
        axes.set_yticks([])
        axes.text(0.5, 0.5, "No offers and no targets yet", ha="center", transform=axes.transAxes)
    width = 0.27
    positions = list(range(len(bars)))
    series = (
        ("Offers", [bar.offers for bar in bars], "#005eb8", -width),
        ("Students", [bar.students for bar in bars], "#41b6e6", 0.0),
        ("Target", [bar.target for bar in bars], "#aeb7bd", width),
    )
    for label, values, colour, shift in series if bars else ():
        drawn = axes.bar(
            [p + shift for p in positions], [v or 0 for v in values], width, label=label,
            color=colour,
        )  # fmt: skip
        axes.bar_label(drawn, labels=["" if v is None else str(v) for v in values], fontsize=8)
    if bars:
        axes.set_xticks(positions, [bar.profession for bar in bars], fontsize=10)
        axes.set_ylabel("Placements", fontsize=10)
        axes.margins(y=0.15)
        # Beside the title, above the bars, so it never hides a bar's number.
        axes.legend(fontsize=9, frameon=False, ncols=3, loc="lower right", bbox_to_anchor=(1, 1.02))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def progress_chart(title: str, bars: Sequence[Bar]) -> Image:
    """The chart as an `Image` for a Reply: PNG in base64, with the numbers in its alt text."""
    png = render_png(title, bars)
    return Image(title, alt_text(title, bars), base64.b64encode(png).decode("ascii"))
