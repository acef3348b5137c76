"""The weekly summary's chart, as a PNG: per profession, placements confirmed or completed
against the goal (baseline + target), and beside them the places offered but not yet confirmed,
in their own colour, so that what is on offer never reads as progress.

matplotlib is imported inside `progress_chart`, so the bot starts without loading it; the
figure is drawn on the Agg canvas directly (no pyplot, no display, no global figure state),
which is safe in a server process.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.kernel.messages import Image

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH_INCHES, HEIGHT_INCHES, DPI = 8, 4, 100  # 800 x 400 pixels
CROWDED = 8  # more bars than this and the labels under them shrink


@dataclass(frozen=True)
class Bar:
    """One profession's figures for the chart, in places (students)."""

    profession: str
    confirmed: int  # confirmed or completed: the progress
    offered: int  # on offer, not yet confirmed: beside the progress, not in it
    goal: int | None  # baseline + target, or the target alone; None: no target
    baseline_set: bool = True

    @property
    def goal_name(self) -> str:
        """How the goal reads under the bar and in words."""
        if self.goal is None:
            return "no target"
        return f"goal {self.goal}" if self.baseline_set else f"target {self.goal}"


# Label and colour of each series (NHS palette): the goal stands behind the confirmed bar,
# wider, so a bar past its goal still shows it; the offered bar stands beside, hatched.
GOAL = ("Goal (baseline + target)", "#d8dde0")
CONFIRMED = ("Confirmed or completed", "#005eb8")
OFFERED = ("Offered, not yet confirmed", "#41b6e6")


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _in_words(bar: Bar) -> str:
    if bar.goal is None:
        against = " (no target)"
    else:
        share = f"{round(100 * bar.confirmed / bar.goal)}%" if bar.goal else "goal of 0"
        unset = "" if bar.baseline_set else ", baseline not set"
        against = f" of {bar.goal_name} ({share}{unset})"
    return f"{bar.profession} {bar.confirmed} confirmed{against}, {bar.offered} more offered"


def alt_text(title: str, bars: Sequence[Bar]) -> str:
    """The chart in words, every number in it, for screen readers and for email clients that
    do not show images."""
    if not bars:
        return f"{title}: no placements and no targets yet."
    return f"{title}: " + "; ".join(_in_words(bar) for bar in bars) + "."


def _tick(bar: Bar, roomy: bool) -> str:
    """The profession and its goal under each bar; with many bars the goal's number alone."""
    if roomy:
        return f"{bar.profession}\n{bar.goal_name}"
    return f"{bar.profession}\n{'none' if bar.goal is None else bar.goal}"


def draw(title: str, bars: Sequence[Bar]) -> Figure:
    """The chart as a matplotlib Figure on the Agg canvas (no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title(title, fontsize=12, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    if not bars:
        axes.set_xticks([])
        axes.set_yticks([])
        axes.text(0.5, 0.5, "No placements and no targets yet", ha="center",
                  transform=axes.transAxes)  # fmt: skip
        return figure
    width = 0.36
    left = [n - width / 2 for n in range(len(bars))]
    beside = [n + width * 0.55 for n in range(len(bars))]
    axes.bar(left, [bar.goal or 0 for bar in bars], width * 1.25, label=GOAL[0],
             color=GOAL[1], zorder=1)  # fmt: skip
    confirmed = axes.bar(left, [bar.confirmed for bar in bars], width * 0.7, label=CONFIRMED[0],
                         color=CONFIRMED[1], zorder=2)  # fmt: skip
    axes.bar_label(confirmed, fontsize=8)
    offered = axes.bar(beside, [bar.offered for bar in bars], width * 0.6, label=OFFERED[0],
                       color="white", edgecolor=OFFERED[1], hatch="///", zorder=2)  # fmt: skip
    axes.bar_label(offered, fontsize=8, color="#425563")
    axes.set_xticks(range(len(bars)), [_tick(bar, len(bars) <= CROWDED) for bar in bars],
                    fontsize=9 if len(bars) <= CROWDED else 7)  # fmt: skip
    axes.set_ylabel("Placements (students)", fontsize=10)
    axes.margins(y=0.15)
    # Under the axes, outside them, so it never hides a bar's number nor the title.
    figure.legend(fontsize=8, frameon=False, ncols=3, loc="outside lower center")
    return figure


def render_png(title: str, bars: Sequence[Bar]) -> bytes:
    buffer = io.BytesIO()
    draw(title, bars).savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def progress_chart(title: str, bars: Sequence[Bar]) -> Image:
    """The chart as an `Image` for a Reply: PNG in base64, with the numbers in its alt text."""
    png = render_png(title, bars)
    return Image(title, alt_text(title, bars), base64.b64encode(png).decode("ascii"))
