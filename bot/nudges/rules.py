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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.demand import block_demands
from bot.kernel.clock import Clock
from bot.kernel.messages import Reply
from bot.kernel.professions import split_codes
from bot.nudges import messages
from bot.nudges.inputs import History, Recipient
from bot.people import working_hours
from config.settings import Settings
from storage import lifecycle
from storage.batches import batches
from storage.tables import (
    CapacityAnswer,
    PlacementBlock,
    PlacementOffer,
    PlacementRequest,
    TrainingEvent,
)

# An offer on a block answers it, whatever became of the offer later (but not a withdrawn one).
ANSWERING_OFFER = lifecycle.COUNTED


@dataclass(frozen=True)
class Candidate:
    kind: str  # block | offer_start | training
    subject: str  # block ref, offer ref or training uid
    soonest: date  # within a rule, the most pressing first
    make: Callable[[], Reply]  # the message, built only for the one chosen

    @property
    def order(self) -> tuple[date, str]:
        return (self.soonest, self.subject)


Found = dict[int, Candidate]  # each person's most pressing candidate under one rule


def keep(found: Found, person_id: int, candidate: Candidate) -> None:
    current = found.get(person_id)
    if current is None or candidate.order < current.order:
        found[person_id] = candidate


@dataclass(frozen=True)
class OpenBlock:
    """A block still short of places, as plain values for the loop over people."""

    id: int
    ref: str
    closes: date
    short_by: int
    block: PlacementBlock


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

    async def offers_starting(self) -> Found:
        """Unconfirmed offers starting soon, with the HEI requests waiting on each: to the person
        who posted it, or when they cannot be nudged (opted out, paused, snoozed, unreachable),
        to their team."""
        today = self.today
        waiting = (
            select(PlacementRequest.offer_id, func.count().label("requests"))
            .where(PlacementRequest.status == "pending")
            .group_by(PlacementRequest.offer_id)
            .subquery()
        )
        offers = (
            await self.session.execute(
                select(PlacementOffer, func.coalesce(waiting.c.requests, 0))
                .outerjoin(waiting, waiting.c.offer_id == PlacementOffer.id)
                .where(
                    PlacementOffer.status.in_(lifecycle.UNCONFIRMED),
                    PlacementOffer.start_date >= today,
                    PlacementOffer.start_date
                    <= today + timedelta(days=self.settings.placebot_nudge_offer_days),
                )
            )
        ).all()
        teams = self._teams()
        found: Found = {}
        for offer, requests in offers:
            poster = offer.created_by_id
            to = [poster] if poster in self.people else teams.get(offer.team_id, [])
            for pid in to:
                if pid not in self.sendable or self.past.recently(pid, "offer_start", offer.ref):
                    continue
                keep(
                    found,
                    pid,
                    Candidate(
                        "offer_start",
                        offer.ref,
                        offer.start_date,
                        lambda o=offer, n=int(requests), own=pid == poster: messages.offer_start(
                            o, n, own, today
                        ),
                    ),
                )
        return found

    def _teams(self) -> dict[int | None, list[int]]:
        members: dict[int | None, list[int]] = defaultdict(list)
        for person in self.people.values():
            if person.team_id is not None:
                members[person.team_id].append(person.id)
        return members

    async def blocks_closing(self) -> Found:
        """Blocks still short of places whose offers close soon, to provider staff of the
        block's profession whose team has not answered."""
        blocks = await self._open_blocks()
        if not blocks:
            return {}
        answered = await self._answers([b.id for b in blocks])
        by_profession: dict[str, list[OpenBlock]] = defaultdict(list)
        for b in sorted(blocks, key=lambda b: (b.closes, b.ref)):  # soonest first
            by_profession[b.block.profession].append(b)
        found: Found = {}
        for person in self._today():
            for code in person.professions:
                for b in by_profession.get(code, ()):
                    if self._block_settled(person, b, answered.get((b.id, person.respondent_key))):
                        continue
                    keep(found, person.id, self._block_candidate(person, b))
                    break  # the soonest for this profession; later ones cannot beat it
        return found

    async def _open_blocks(self) -> list[OpenBlock]:
        """Blocks closing soon and still short, by the one demand count (`bot.blocks.demand`)."""
        today = self.today
        demand = await block_demands(
            self.session,
            PlacementBlock.offers_close >= today,
            PlacementBlock.offers_close
            <= today + timedelta(days=self.settings.placebot_nudge_block_days),
        )
        short = {b.block_id: b for b in demand.blocks if b.short_by > 0}
        if not short:
            return []
        rows = await self.session.execute(
            select(PlacementBlock).where(PlacementBlock.id.in_(sorted(short)))
        )
        return [
            OpenBlock(b.id, b.ref, b.offers_close, short[b.id].short_by, b)
            for b in rows.unique().scalars()
        ]

    def _block_settled(self, person: Recipient, b: OpenBlock, state: Answered | None) -> bool:
        """Answered (until a maybe's date comes), or raised with them lately and not asked for
        again since."""
        if state is not None and not state.due(self.today, self.settings):
            return True
        last = self.past.recently(person.id, "block", b.ref)
        return last is not None and not (state is not None and state.at > last)

    def _block_candidate(self, person: Recipient, b: OpenBlock) -> Candidate:
        today = self.today

        def make() -> Reply:
            again = ask_again_date(today, b.closes, person.working_days, self.settings)
            return messages.block(b.block, b.short_by, person.team_name, again, today)

        return Candidate("block", b.ref, b.closes, make)

    async def _answers(self, block_ids: list[int]) -> dict[tuple[int, str], Answered]:
        """Each respondent's answer to each block: a recorded answer or an offer on it."""
        found: dict[tuple[int, str], Answered] = {}
        for ids in batches(block_ids):
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

    async def training_soon(self, events: list[TrainingEvent]) -> Found:
        """Educator training soon for provider staff of its professions; each event once."""
        soonest_first = sorted(events, key=lambda e: (e.starts_at, e.uid))
        wanted = [
            (e, e.uid, frozenset(split_codes(e.professions)), self.clock.local(e.starts_at).date())
            for e in soonest_first
        ]
        found: Found = {}
        for person in self._today():
            for event, uid, codes, day in wanted:
                if codes and not codes & person.professions:
                    continue
                if (person.id, uid) in self.past.trained:
                    continue
                found[person.id] = Candidate(
                    "training", uid, day, lambda e=event: messages.training(e, self.clock)
                )
                break
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
    today: date, offers_close: date, working_days: str, settings: Settings
) -> date | None:
    """The date offered on the Maybe button: a week on, but two days before offers close at the
    latest, on one of the person's working days; None when there is no time for a maybe."""
    day = min(
        today + timedelta(days=settings.placebot_nudge_repeat_days),
        offers_close - timedelta(days=2),
    )
    while day > today + timedelta(days=1) and not working_hours.is_working_day(working_days, day):
        day -= timedelta(days=1)
    return day if day > today else None
