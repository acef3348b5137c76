"""Today's nudge plan: from who may be nudged and what they were sent lately
(`bot.nudges.inputs`), for each person the one most pressing thing the rules found
(`bot.nudges.rules`), timed for the start of their working hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.clock import Clock
from bot.kernel.messages import Reply
from bot.nudges.inputs import history, recipients, upcoming_training
from bot.nudges.rules import Rules
from bot.people import working_hours
from config.settings import Settings


@dataclass(frozen=True)
class Planned:
    """One nudge to queue: to whom, what, and when it may go (the delivery package picks how)."""

    person_id: int
    kind: str
    subject: str
    reply: Reply
    send_at: datetime
    expires_at: datetime  # the end of the person's working hours today


async def plan(session: AsyncSession, clock: Clock, settings: Settings) -> list[Planned]:
    """Today's nudges, at most one a person, the most pressing rule first, each timed for the
    start of the person's working hours."""
    now, today = clock.now(), clock.today()
    people = await recipients(session, today)
    sendable: dict[int, datetime] = {}
    for person in people.values():
        when = working_hours.send_at(
            person.working_days, person.work_starts, person.work_ends, now, clock.zone
        )
        if when is not None:
            sendable[person.id] = when
    if not sendable:
        return []
    events = await upcoming_training(session, now, settings)
    past = await history(
        session, today, settings.placebot_nudge_repeat_days, (e.uid for e in events)
    )
    rules = Rules(session, clock, settings, people, past, sendable)
    by_rule = [
        await rules.offers_starting(),
        await rules.blocks_closing(),
        await rules.training_soon(events),
    ]
    planned = []
    for pid in sorted(sendable):
        if pid in past.today:
            continue
        for found in by_rule:
            if (best := found.get(pid)) is not None:
                planned.append(
                    Planned(
                        pid,
                        best.kind,
                        best.subject,
                        best.make(),
                        sendable[pid],
                        working_hours.day_ends(people[pid].work_ends, now, clock.zone),
                    )
                )
                break
    return planned
