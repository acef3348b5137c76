"""Who should be reminded of what today. Each rule is one query however many people there are,
matched to people in Python; each person then gets at most one nudge, the most pressing:

1. an offer of theirs starts within PLACEBOT_NUDGE_OFFER_DAYS and is not confirmed;
2. a block of their team's profession closes within PLACEBOT_NUDGE_BLOCK_DAYS and the team has
   not answered it ("maybe" counts as an answer until its ask-again date);
3. educator training for their profession within PLACEBOT_NUDGE_TRAINING_DAYS (each event once).

Nobody opted out, paused, snoozed, unreachable or off work today is asked; the same subject is
not raised with the same person again within PLACEBOT_NUDGE_REPEAT_DAYS.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import nudge_replies, working_hours
from bot.clock import Clock
from bot.messages import Reply
from bot.professions import split_codes
from bot.recipients import channels_for
from config.settings import Settings
from storage.tables import (
    LIVE_OFFER_STATUSES,
    CapacityAnswer,
    Nudge,
    Organisation,
    Person,
    PlacementBlock,
    PlacementOffer,
    PlacementRequest,
    RoleGrant,
    Team,
    TrainingEvent,
)

UNCONFIRMED = ("offered", "requested")
# An offer on a block answers it, whatever became of the offer later (but not a withdrawn one).
ANSWERING_OFFER = (*LIVE_OFFER_STATUSES, "completed")
PROVIDER_ROLES = ("clinician", "coordinator")
IN_LIST = 5000  # ids per IN (...), well inside both databases' parameter limits
T = TypeVar("T")


def chunked(values: Iterable[T], size: int = IN_LIST) -> Iterable[list[T]]:
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


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
    channel: str

    @property
    def respondent_key(self) -> str:
        """Who answers a block for them, as `bot.blocks` records it."""
        return f"team:{self.team_id}" if self.team_id is not None else f"person:{self.id}"


@dataclass(frozen=True)
class Candidate:
    kind: str  # block | offer_start | training
    subject: str  # block ref, offer ref or training uid
    soonest: date  # within a rule, the most pressing first
    make: Callable[[], Reply]


@dataclass(frozen=True)
class Planned:
    """One nudge to queue: to whom, what, and when it may go."""

    person_id: int
    channel: str
    kind: str
    subject: str
    reply: Reply
    send_at: datetime


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
    for ids in chunked(row[0] for row in rows):
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


@dataclass
class Rules:
    """Today's candidates, rule by rule, for the people who may be nudged."""

    session: AsyncSession
    clock: Clock
    settings: Settings
    people: dict[int, Recipient]  # who may be nudged at all
    past: History
    sendable: dict[int, datetime]  # who may be nudged today, and when

    def _today(self) -> list[Recipient]:
        return [self.people[pid] for pid in self.sendable if self.people[pid].provider_staff]

    @property
    def today(self) -> date:
        return self.clock.today()

    async def offers_starting(self) -> dict[int, list[Candidate]]:
        """Unconfirmed offers starting soon: to the person who posted each, or when they cannot
        be reached, to their team."""
        today = self.today
        offers = (
            (
                await self.session.execute(
                    select(PlacementOffer).where(
                        PlacementOffer.status.in_(UNCONFIRMED),
                        PlacementOffer.start_date >= today,
                        PlacementOffer.start_date
                        <= today + timedelta(days=self.settings.placebot_nudge_offer_days),
                    )
                )
            )
            .unique()
            .scalars()
            .all()
        )
        waiting: dict[int, int] = {}
        for ids in chunked(offer.id for offer in offers):
            waiting |= dict(
                (
                    await self.session.execute(
                        select(PlacementRequest.offer_id, func.count())
                        .where(
                            PlacementRequest.offer_id.in_(ids),
                            PlacementRequest.status == "pending",
                        )
                        .group_by(PlacementRequest.offer_id)
                    )
                ).all()
            )
        teams = self._teams()
        found: dict[int, list[Candidate]] = defaultdict(list)
        for offer in offers:
            poster = offer.created_by_id
            to = [poster] if poster in self.people else teams.get(offer.team_id, [])
            for pid in to:
                if self.past.recently(pid, "offer_start", offer.ref):
                    continue
                found[pid].append(
                    Candidate(
                        "offer_start",
                        offer.ref,
                        offer.start_date,
                        lambda o=offer, own=pid == poster: nudge_replies.offer_start(
                            o, waiting.get(o.id, 0), own, today
                        ),
                    )
                )
        return found

    def _teams(self) -> dict[int | None, list[int]]:
        members: dict[int | None, list[int]] = defaultdict(list)
        for person in self.people.values():
            if person.team_id is not None:
                members[person.team_id].append(person.id)
        return members

    async def blocks_closing(self) -> dict[int, list[Candidate]]:
        """Blocks still short of places whose offers close soon, to provider staff of the
        block's profession whose team has not answered."""
        today = self.today
        offered = (
            select(PlacementOffer.block_id, func.sum(PlacementOffer.capacity).label("places"))
            .where(PlacementOffer.status.in_(LIVE_OFFER_STATUSES))
            .group_by(PlacementOffer.block_id)
            .subquery()
        )
        rows = (
            await self.session.execute(
                select(PlacementBlock, func.coalesce(offered.c.places, 0))
                .outerjoin(offered, offered.c.block_id == PlacementBlock.id)
                .where(
                    PlacementBlock.offers_close >= today,
                    PlacementBlock.offers_close
                    <= today + timedelta(days=self.settings.placebot_nudge_block_days),
                    PlacementBlock.students > func.coalesce(offered.c.places, 0),
                )
            )
        ).all()
        if not rows:
            return {}
        ids = [block.id for block, _ in rows]
        answered = await self._answers(ids)
        by_profession: dict[str, list[tuple[PlacementBlock, int]]] = defaultdict(list)
        for block, places in rows:
            by_profession[block.profession].append((block, block.students - int(places)))
        found: dict[int, list[Candidate]] = defaultdict(list)
        for person in self._today():
            for code in person.professions:
                for block, short_by in by_profession.get(code, ()):
                    state = answered.get((block.id, person.respondent_key))
                    if state is not None and not state.due(today, self.settings):
                        continue
                    last = self.past.recently(person.id, "block", block.ref)
                    asked_since = state is not None and last is not None and state.at > last
                    if last is not None and not asked_since:
                        continue
                    found[person.id].append(
                        Candidate(
                            "block",
                            block.ref,
                            block.offers_close,
                            lambda b=block, s=short_by, p=person: nudge_replies.block(
                                b, s, p.team_name, ask_again_date(today, b, p, self.settings), today
                            ),
                        )
                    )
        return found

    async def _answers(self, block_ids: list[int]) -> dict[tuple[int, str], Answered]:
        """Each respondent's answer to each block: a recorded answer or an offer on it."""
        found: dict[tuple[int, str], Answered] = {}
        for ids in chunked(block_ids):
            for block_id, key, answer, again, at in await self.session.execute(
                select(
                    CapacityAnswer.block_id,
                    CapacityAnswer.respondent_key,
                    CapacityAnswer.answer,
                    CapacityAnswer.ask_again_on,
                    CapacityAnswer.answered_at,
                ).where(CapacityAnswer.block_id.in_(ids))
            ):
                found[(block_id, key)] = Answered(answer, again, at)
            for block_id, team_id, poster, at in await self.session.execute(
                select(
                    PlacementOffer.block_id,
                    PlacementOffer.team_id,
                    PlacementOffer.created_by_id,
                    PlacementOffer.created_at,
                ).where(
                    PlacementOffer.block_id.in_(ids), PlacementOffer.status.in_(ANSWERING_OFFER)
                )
            ):
                offering = Answered("offering", None, at)
                found[(block_id, f"person:{poster}")] = offering
                if team_id is not None:
                    found[(block_id, f"team:{team_id}")] = offering
        return found

    async def training_soon(self, events: list[TrainingEvent]) -> dict[int, list[Candidate]]:
        """Educator training soon for provider staff of its professions; each event once."""
        found: dict[int, list[Candidate]] = defaultdict(list)
        wanted = [(event, frozenset(split_codes(event.professions))) for event in events]
        for person in self._today():
            for event, codes in wanted:
                if codes and not codes & person.professions:
                    continue
                if (person.id, event.uid) in self.past.trained:
                    continue
                found[person.id].append(
                    Candidate(
                        "training",
                        event.uid,
                        self.clock.local(event.starts_at).date(),
                        lambda e=event: nudge_replies.training(e, self.clock),
                    )
                )
        return found


@dataclass(frozen=True)
class Answered:
    answer: str  # offering | maybe | no_capacity
    ask_again_on: date | None
    at: datetime

    def due(self, today: date, settings: Settings) -> bool:
        """A "maybe" whose date has come (or, with no date, a week on) is to be asked again."""
        if self.answer != "maybe":
            return False
        if self.ask_again_on is not None:
            return self.ask_again_on <= today
        return self.at.date() + timedelta(days=settings.placebot_nudge_repeat_days) <= today


def ask_again_date(
    today: date, block: PlacementBlock, person: Recipient, settings: Settings
) -> date | None:
    """The date offered on the Maybe button: a week on, but two days before offers close at the
    latest, on one of the person's working days; None when there is no time for a maybe."""
    day = min(
        today + timedelta(days=settings.placebot_nudge_repeat_days),
        block.offers_close - timedelta(days=2),
    )
    while day > today + timedelta(days=1) and not working_hours.is_working_day(
        person.working_days, day
    ):
        day -= timedelta(days=1)
    return day if day > today else None


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
            if found.get(pid):
                best = min(found[pid], key=lambda c: (c.soonest, c.subject))
                planned.append(
                    Planned(
                        pid,
                        people[pid].channel,
                        best.kind,
                        best.subject,
                        best.make(),
                        sendable[pid],
                    )
                )
                break
    return planned
