"""Three ignored nudges in a row pause a person: each settled nudge moves their count (an acted
one resets it, an ignored one adds one), and at three they are paused, their pending nudges
cancelled, an audit event recorded, and each faculty lead told, once, at the start of their
working hours when that is still to come today."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.recipients import reachable
from bot.delivery.tell import ForPerson, tell_many
from bot.kernel import audit
from bot.kernel.clock import Clock
from bot.kernel.context import Context
from bot.nudges import messages, withdrawal
from bot.people import working_hours
from bot.people.directory import faculty_leads
from config.settings import Settings
from storage.batches import batches
from storage.tables import Organisation, Person, Team

PAUSE_AFTER = 3
# Bulk updates by id: the rows loaded here are not read again, so the session need not
# re-evaluate every loaded object against each IN list.
UNSYNCED = {"synchronize_session": False}

Strikes = dict[int, tuple[bool, int]]  # person -> (count reset, ignored since)


async def record(session: AsyncSession, clock: Clock, settings: Settings, counts: Strikes) -> int:
    """Move each person's count of ignored nudges, and pause those it brings to three. Returns
    how many were paused."""
    await _count(session, counts)
    return await _pause(session, clock, settings, [p for p, (_, n) in counts.items() if n])


async def _count(session: AsyncSession, counts: Strikes) -> None:
    """Person.ignored_nudges, in one statement per distinct change rather than per person."""
    groups: dict[tuple[bool, int], list[int]] = defaultdict(list)
    for person_id, change in counts.items():
        if change != (False, 0):
            groups[change].append(person_id)
    for (reset, ignored), people in groups.items():
        value = ignored if reset else Person.ignored_nudges + ignored
        for batch in batches(people):
            await session.execute(
                update(Person).where(Person.id.in_(batch)).values(ignored_nudges=value),
                execution_options=UNSYNCED,
            )


async def _pause(session: AsyncSession, clock: Clock, settings: Settings, people: list[int]) -> int:
    """Pause those at three ignored in a row, with an audit event, and tell the faculty leads."""
    paused: list[int] = []
    for batch in batches(people):
        paused += (
            await session.scalars(
                update(Person)
                .where(
                    Person.id.in_(batch),
                    Person.ignored_nudges >= PAUSE_AFTER,
                    Person.paused.is_(False),
                )
                .values(paused=True)
                .returning(Person.id),
                execution_options=UNSYNCED,
            )
        ).all()
    if not paused:
        return 0
    await withdrawal.cancel_pending(session, paused)
    ctx = Context(session, None, clock, settings, "system")
    who = (
        await session.execute(
            select(Person.id, Person.display_name, Team.name, Organisation.name)
            .outerjoin(Team, Team.id == Person.team_id)
            .outerjoin(Organisation, Organisation.id == Person.organisation_id)
            .where(Person.id.in_(paused))
        )
    ).all()
    leads = await _faculty_leads(session, clock)
    today = clock.today().isoformat()
    for person_id, name, team, organisation in who:
        audit.record(
            ctx,
            "nudges.pause",
            "person",
            str(person_id),
            {"paused": False},
            {"paused": True, "reason": f"{PAUSE_AFTER} nudges ignored in a row"},
        )
        message = messages.paused(name, team, organisation)
        await tell_many(
            session,
            [
                ForPerson(lead_id, message, f"paused:{person_id}:{today}:{lead_id}", when)
                for lead_id, when in leads.items()
            ],
            clock.now(),
        )
    return len(paused)


async def _faculty_leads(session: AsyncSession, clock: Clock) -> dict[int, datetime]:
    """Each reachable faculty lead, and when to tell them: now, or at the start of their
    working hours when that is still to come today."""
    now = clock.now()
    leads = await faculty_leads(session)
    reached = await reachable(session, [lead.id for lead in leads])
    return {
        lead.id: working_hours.send_at(
            lead.working_days, lead.work_starts, lead.work_ends, now, clock.zone
        )
        or now
        for lead in leads
        if lead.id in reached
    }
