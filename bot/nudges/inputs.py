"""What today's nudge plan starts from: who may be nudged at all (reachable, not opted out,
paused or snoozed), what they were sent lately, and the educator training coming up. A handful
of queries in all, however many people there are."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.recipients import reachable
from bot.kernel.professions import split_codes
from config.settings import Settings
from storage.batches import batches
from storage.tables import Nudge, Organisation, Person, RoleGrant, Team, TrainingEvent

PROVIDER_ROLES = ("clinician", "coordinator")


@dataclass(frozen=True)
class Recipient:
    """Someone who may be nudged: reachable, not opted out, paused or snoozed."""

    id: int
    name: str
    team_id: int | None
    team_name: str | None
    professions: frozenset[str]  # their own and their team's
    provider_staff: bool  # a clinician or coordinator, not of an HEI
    working_days: str
    work_starts: time
    work_ends: time

    @property
    def respondent_key(self) -> str:
        """Who answers a block for them, as `bot.blocks.service` records it."""
        return f"team:{self.team_id}" if self.team_id is not None else f"person:{self.id}"


@dataclass
class History:
    """Nudges already sent that bear on today's choice."""

    # (person, kind, subject) -> when it was last sent, within the repeat window
    last: dict[tuple[int, str, str], datetime] = field(default_factory=dict)
    trained: set[tuple[int, str]] = field(default_factory=set)  # (person, training uid), ever
    today: set[int] = field(default_factory=set)  # nudged today already

    def recently(self, person_id: int, kind: str, subject: str) -> datetime | None:
        return self.last.get((person_id, kind, subject))


async def recipients(session: AsyncSession, today: date) -> dict[int, Recipient]:
    """Everyone who may be nudged at all, in three queries (and who is reachable in a few more)."""
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
    reached: set[int] = set()  # the delivery package picks the channel when it queues
    for ids in batches(row[0] for row in rows):
        reached |= await reachable(session, ids)
    found = {}
    for pid, name, team_id, team, own, teams, kind, days, starts, ends in rows:
        if pid not in reached:
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
