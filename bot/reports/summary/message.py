"""The weekly summary as a Reply: each profession's placements confirmed against its goal
(baseline + target) with what is on offer beside them, the week's nudges, who is paused, which
teams are silent and what went undelivered, with the progress chart.

The figures are facts, never item text, so the summary takes no more Slack blocks or card
elements than before: one item per profession, one per undelivered message (at most three)."""

from __future__ import annotations

from datetime import date

from bot.kernel.date_display import show
from bot.kernel.messages import Fact, Item, Reply
from bot.reports import chart
from bot.reports.chart import plural
from bot.reports.summary.progress import Progress
from bot.reports.summary.queries import Summary

SILENT_SHOWN = 5


def percent(part: int, whole: int | None) -> int | None:
    return round(100 * part / whole) if whole else None


def against_goal(p: Progress) -> str:
    """Progress in words: "42 of goal 159 (26%): baseline 120 + 39 extra"."""
    if p.target is None:
        return f"{p.confirmed} (no target)"
    share = percent(p.confirmed, p.goal)
    shown = f" ({share}%)" if share is not None else ""
    if p.baseline is None:
        return f"{p.confirmed} of {p.target} extra{shown}: baseline not set"
    return f"{p.confirmed} of goal {p.goal}{shown}: baseline {p.baseline} + {p.target} extra"


def baseline_hint(summary: Summary) -> Fact | None:
    """Where a profession has a target but no baseline: which, and how to set one."""
    missing = [p for p in summary.professions if p.baseline_missing]
    if not missing:
        return None
    first, year = missing[0], summary.year.label
    return Fact(
        "Baseline not set",
        f"{', '.join(p.profession for p in missing)}: progress is measured against the extra "
        f"placements only. Set a baseline with `admin target set {first.profession} {year} "
        f"{first.target} baseline N` or `placebot target set {first.profession} {year} "
        f"{first.target} --baseline N`.",
    )


def _names(names: tuple[str, ...], shown: int = SILENT_SHOWN) -> str:
    if not names:
        return "none"
    listed = ", ".join(names[:shown])
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return f"{len(names)}: {listed}{more}"


def _profession(p: Progress) -> Item:
    return Item(
        title=p.profession,
        facts=(
            Fact("Confirmed or completed", against_goal(p)),
            Fact("Offered, not yet confirmed", f"{plural(p.offered, 'place')}, not counted above"),
            Fact(
                "All offers",
                f"{plural(p.offers, 'offer')}, {plural(p.students, 'student')}, "
                f"{p.student_weeks} student-weeks",
            ),
            Fact("New this week", str(p.new_offers)),
            Fact("Block demand", f"{p.demand} students, {p.offered_for_blocks} places offered"),
        ),
    )


def summary_reply(summary: Summary, today: date) -> Reply:
    year = summary.year.label
    items = [_profession(p) for p in summary.professions]
    items.extend(
        Item(
            title=f"Undelivered: to {f.recipient} by {f.channel}",
            text=f"{show(f.queued_at.date())}: {f.error}",
        )
        for f in summary.failed_latest
    )
    image = chart.progress_chart(
        f"Placements confirmed against goal, {year}", [p.bar for p in summary.professions]
    )
    hint = baseline_hint(summary)
    return Reply(
        text=f"Weekly placement summary for {year}, week to {show(today)}.",
        facts=(
            Fact(
                "Placements this year",
                f"{summary.confirmed} confirmed or completed, {summary.offered} more offered",
            ),
            *((hint,) if hint else ()),
            Fact(
                "New this week",
                f"{plural(summary.new_offers, 'offer')}, {plural(summary.new_students, 'student')}",
            ),
            Fact(
                "Nudges this week",
                f"{summary.nudges_sent} sent, {summary.nudges_acted} acted on, "
                f"{summary.nudges_ignored} ignored",
            ),
            Fact("Paused people", _names(summary.paused)),
            Fact("Silent teams", _names(summary.silent_teams)),
            Fact("Undelivered this week", str(summary.failed)),
        ),
        items=tuple(items),
        image=image,
    )
