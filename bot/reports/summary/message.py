"""The weekly summary as a Reply: each profession against its target, the week's nudges, who
is paused, which teams are silent and what went undelivered, with the progress chart."""

from __future__ import annotations

from datetime import date

from bot.kernel.dates import show
from bot.kernel.messages import Fact, Item, Reply
from bot.reports import chart
from bot.reports.chart import plural
from bot.reports.summary.queries import Summary

SILENT_SHOWN = 5


def percent(part: int, whole: int | None) -> int | None:
    return round(100 * part / whole) if whole else None


def _of_target(part: int, target: int | None) -> str:
    share = percent(part, target)
    return f"{part} ({share}% of target {target})" if share is not None else f"{part} (no target)"


def _names(names: tuple[str, ...], shown: int = SILENT_SHOWN) -> str:
    if not names:
        return "none"
    listed = ", ".join(names[:shown])
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return f"{len(names)}: {listed}{more}"


def summary_reply(summary: Summary, today: date) -> Reply:
    year = summary.year.label
    items = [
        Item(
            title=p.profession,
            facts=(
                Fact("Offers", _of_target(p.offers, p.target)),
                Fact("Students", _of_target(p.students, p.target)),
                Fact("Student-weeks", str(p.student_weeks)),
                Fact("New this week", str(p.new_offers)),
                Fact("Block demand", f"{p.demand} students, {p.offered_for_blocks} places offered"),
            ),
        )
        for p in summary.professions
    ]
    items.extend(
        Item(
            title=f"Undelivered: to {f.recipient} by {f.channel}",
            text=f"{show(f.queued_at.date())}: {f.error}",
        )
        for f in summary.failed_latest
    )
    image = chart.progress_chart(
        f"Offers and students against target, {year}", [p.bar for p in summary.professions]
    )
    return Reply(
        text=f"Weekly placement summary for {year}, week to {show(today)}.",
        facts=(
            Fact("Offers this year", _of_target(summary.offers, summary.target or None)),
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
