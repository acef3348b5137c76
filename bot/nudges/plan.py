"""Today's nudge plan: who may be nudged and when, what they were sent lately, and for each
person the one most pressing thing the rules found (`bot.nudges.rules`), timed for the start of
their working hours. A handful of queries in all, however many people there are."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.recipients import channels_for
from bot.kernel.clock import Clock
from bot.kernel.messages import Reply
from bot.kernel.professions import split_codes
from bot.nudges.rules import PROVIDER_ROLES, History, Recipient, Rules
from bot.people import working_hours
from config.settings import Settings
from storage.batches import batches
from storage.tables import Nudge, Organisation, Person, RoleGrant, Team, TrainingEvent


@dataclass(frozen=True)
class Planned:
    """One nudge to queue: to whom, what, and when it may go."""

    person_id: int
    channel: str
    kind: str
    subject: str
    reply: Reply
    send_at: datetime
    expires_at: datetime  # the end of the person's working hours today


async def recipients(session: AsyncSession, today: date) -> dict[int, Recipient]:
    """Everyone who may be nudged at all, in three queries (and channels in a few more)."""
    rows = (
        await session.execute(
            select(
                Person.id,
                Person.display_name,
                Person.team_id,
                Team.name,
                Person.professions,
                Team.professions,
                Organisation.kind,
                Person.working_days,
                Person.work_starts,
                Person.work_ends,
            )
            .outerjoin(Team, Team.id == Person.team_id)
            .outerjoin(Organisation, Organisation.id == Person.organisation_id)
            .where(
                Person.opted_out.is_(False),
                Person.paused.is_(False),
                or_(Person.snoozed_until.is_(None), Person.snoozed_until < today),
            )
        )
    ).all()
    staff = set(
        (
            await session.execute(
                select(RoleGrant.person_id).where(RoleGrant.role.in_(PROVIDER_ROLES))
            )
        ).scalars()
    )
    channels: dict[int, str] = {}
    for ids in batches(row[0] for row in rows):
        channels |= await channels_for(session, ids)
    found = {}
    for pid, name, team_id, team, own, teams, kind, days, starts, ends in rows:
        if pid not in channels:
            continue
        found[pid] = Recipient(
            id=pid,
            name=name,
            team_id=team_id,
            team_name=team,
            professions=frozenset(split_codes(own or "") + split_codes(teams or "")),
            provider_staff=pid in staff and kind != "hei",
            working_days=days,
            work_starts=starts,
            work_ends=ends,
            channel=channels[pid],
        )
    return found


async def history(
    session: AsyncSession, today: date, repeat_days: int, training_uids: Iterable[str]
) -> History:
    """What was sent lately: today, within the repeat window, and ever for these events."""
    found = History()
    since = today - timedelta(days=repeat_days - 1)
    rows = await session.execute(
        select(Nudge.person_id, Nudge.kind, Nudge.subject, Nudge.sent_on, Nudge.sent_at).where(
            or_(
                Nudge.sent_on >= since,
                and_(Nudge.kind == "training", Nudge.subject.in_(list(training_uids))),
            )
        )
    )
    for person_id, kind, subject, sent_on, sent_at in rows:
        if sent_on == today:
            found.today.add(person_id)
        if kind == "training":
            found.trained.add((person_id, subject))
        if sent_on >= since:
            key = (person_id, kind, subject)
            found.last[key] = max(sent_at, found.last.get(key, sent_at))
    return found


async def upcoming_training(
    session: AsyncSession, now: datetime, settings: Settings
) -> list[TrainingEvent]:
    return list(
        (
            await session.execute(
                select(TrainingEvent)
                .where(
                    TrainingEvent.starts_at > now,
                    TrainingEvent.starts_at
                    <= now + timedelta(days=settings.placebot_nudge_training_days),
                )
                .order_by(TrainingEvent.starts_at, TrainingEvent.id)
            )
        )
        .scalars()
        .all()
    )


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
                        people[pid].channel,
                        best.kind,
                        best.subject,
                        best.make(),
                        sendable[pid],
                        working_hours.day_ends(people[pid].work_ends, now, clock.zone),
                    )
                )
                break
    return planned
