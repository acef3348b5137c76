"""How the core shows a training event: when, who organises it, where, for whom, and Book."""

from __future__ import annotations

from bot.kernel import links
from bot.kernel.clock import Clock
from bot.kernel.date_display import show
from bot.kernel.messages import Button, Fact, Item
from storage.tables import TrainingEvent


def training_item(event: TrainingEvent, clock: Clock) -> Item:
    starts, ends = clock.local(event.starts_at), clock.local(event.ends_at)
    when = f"{show(starts.date())}, {starts:%H:%M}–{ends:%H:%M}"
    facts = [
        Fact("When", when),
        Fact("Organiser", event.organiser),
        Fact("Where", event.location or event.mode),
    ]
    codes = [code for code in event.professions.split(",") if code]
    facts.append(Fact("For", ", ".join(codes) if codes else "all professions"))
    if event.booking_note:
        facts.append(Fact("Booking", event.booking_note))
    booking = event.booking if links.is_safe(event.booking) else None  # stored before the check
    buttons = (Button("Book", "link", booking, url=booking),) if booking else ()
    return Item(title=event.title, facts=tuple(facts), buttons=buttons)
