"""Whether each nudge was acted on or ignored, read from what people did since, at scan time.

A nudge is *acted* on when its subject got an answer after it was sent (the block answered by
the person's team or offered on; the offer edited, withdrawn, or its requests confirmed or
declined) or the person changed their nudge settings (Snooze is one of its buttons). One still
open PLACEBOT_NUDGE_ANSWER_DAYS after it was delivered is *ignored*. Each person's nudges
settle in the order they were sent, so "three ignored in a row" means just that: an acted one
resets the count, each ignored one adds one, and at three the person is paused and each
faculty lead is told, once (`bot.nudges.strikes`). A nudge whose delivery failed never counts
against anyone, nor one withdrawn before it went (`bot.nudges.withdrawal`) or expired unsent:
those settle as information."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.clock import Clock
from bot.nudges import keys, strikes
from config.settings import Settings
from storage.batches import batches
from storage.tables import (
    AuditEvent,
    CapacityAnswer,
    Delivery,
    Nudge,
    Person,
    PlacementBlock,
    PlacementOffer,
    PlacementRequest,
)

# Bulk updates by id: the rows loaded here are not read again, so the session need not
# re-evaluate every loaded object against each IN list.
UNSYNCED = {"synchronize_session": False}
OFFER_ANSWERS = ("offer.edit", "offer.withdraw", "offer.confirmed")
# Deliveries withdrawn or too late to send: their nudge is information, not ignored or acted.
NOT_SENT = ("cancelled", "expired")


K = TypeVar("K")


def _latest(found: dict[K, datetime], key: K, at: datetime) -> None:
    found[key] = max(at, found.get(key, at))


@dataclass
class Evidence:
    """When each subject was last answered, and each person last changed their settings."""

    settings_changed: dict[int, datetime] = field(default_factory=dict)
    block_answers: dict[tuple[str, str], datetime] = field(default_factory=dict)  # ref, key
    offer_answers: dict[str, datetime] = field(default_factory=dict)

    def acted(self, nudge: Nudge, team_id: int | None) -> bool:
        """Anything done from the moment it was sent counts."""
        key = f"team:{team_id}" if team_id is not None else f"person:{nudge.person_id}"
        answered = (
            self.offer_answers.get(nudge.subject)
            if nudge.kind == "offer_start"
            else self.block_answers.get((nudge.subject, key))
        )
        return any(
            at is not None and at >= nudge.sent_at
            for at in (answered, self.settings_changed.get(nudge.person_id))
        )


async def _evidence(session: AsyncSession, open_nudges: list[Nudge]) -> Evidence:
    """Five queries, however many nudges are open."""
    since = min(n.sent_at for n in open_nudges)
    blocks = sorted({n.subject for n in open_nudges if n.kind == "block"})
    offers = sorted({n.subject for n in open_nudges if n.kind == "offer_start"})
    found = Evidence()
    for actor, at in await session.execute(
        select(AuditEvent.actor_id, AuditEvent.at).where(
            AuditEvent.at >= since,
            AuditEvent.actor_id.is_not(None),
            AuditEvent.action.like("nudges.%"),
        )
    ):
        _latest(found.settings_changed, actor, at)
    for refs in batches(blocks):
        for ref, key, at in await session.execute(
            select(PlacementBlock.ref, CapacityAnswer.respondent_key, CapacityAnswer.answered_at)
            .join(PlacementBlock, PlacementBlock.id == CapacityAnswer.block_id)
            .where(PlacementBlock.ref.in_(refs), CapacityAnswer.answered_at >= since)
        ):
            _latest(found.block_answers, (ref, key), at)
        for ref, team_id, poster, at in await session.execute(
            select(
                PlacementBlock.ref,
                PlacementOffer.team_id,
                PlacementOffer.created_by_id,
                PlacementOffer.created_at,
            )
            .join(PlacementBlock, PlacementBlock.id == PlacementOffer.block_id)
            .where(PlacementBlock.ref.in_(refs), PlacementOffer.created_at >= since)
        ):
            _latest(found.block_answers, (ref, f"person:{poster}"), at)
            if team_id is not None:
                _latest(found.block_answers, (ref, f"team:{team_id}"), at)
    for refs in batches(offers):
        for ref, at in await session.execute(
            select(AuditEvent.entity_ref, AuditEvent.at).where(
                AuditEvent.entity == "placement_offer",
                AuditEvent.entity_ref.in_(refs),
                AuditEvent.action.in_(OFFER_ANSWERS),
                AuditEvent.at >= since,
            )
        ):
            _latest(found.offer_answers, ref, at)
        for ref, at in await session.execute(
            select(PlacementOffer.ref, PlacementRequest.decided_at)
            .join(PlacementOffer, PlacementOffer.id == PlacementRequest.offer_id)
            .where(
                PlacementOffer.ref.in_(refs),
                PlacementRequest.decided_by_id.is_not(None),
                PlacementRequest.decided_at >= since,
            )
        ):
            _latest(found.offer_answers, ref, at)
    return found


async def _deliveries(session: AsyncSession, since: datetime) -> dict[str, tuple[str, datetime]]:
    """Each nudge delivery's status and when it went (or was queued), by dedupe key."""
    rows = await session.execute(
        select(Delivery.dedupe_key, Delivery.status, Delivery.sent_at, Delivery.created_at).where(
            Delivery.dedupe_key.like(keys.ANY), Delivery.created_at >= since
        )
    )
    return {key: (status, sent or created) for key, status, sent, created in rows}


@dataclass
class Settled:
    acted: int = 0
    ignored: int = 0
    paused: int = 0

    def __str__(self) -> str:
        return f"{self.acted} acted on, {self.ignored} ignored, {self.paused} paused"


async def settle(session: AsyncSession, clock: Clock, settings: Settings) -> Settled:
    """Settle every open nudge that can be, pause whoever reached three ignored in a row."""
    now = clock.now()
    rows = (
        await session.execute(
            select(Nudge, Person.team_id)
            .join(Person, Person.id == Nudge.person_id)
            .where(Nudge.outcome == "open")
            .order_by(Nudge.person_id, Nudge.sent_at, Nudge.id)
            .with_for_update(of=Nudge)  # a second scan at once waits here, then finds none
        )
    ).all()
    if not rows:
        return Settled()
    open_nudges = [nudge for nudge, _ in rows]
    evidence = await _evidence(session, open_nudges)
    sent = await _deliveries(session, min(n.sent_at for n in open_nudges) - timedelta(days=1))
    wait = timedelta(days=settings.placebot_nudge_answer_days)
    outcomes: dict[str, list[int]] = defaultdict(list)
    counts: strikes.Strikes = {}
    stopped: set[int] = set()
    for nudge, team_id in rows:
        if nudge.person_id in stopped:
            continue  # a newer nudge waits for the older one: they settle in order
        status, went = sent.get(keys.key(nudge.person_id, nudge.sent_on), ("sent", nudge.sent_at))
        if status in NOT_SENT:
            outcome = "info"  # withdrawn or too late: it never reached them
        elif evidence.acted(nudge, team_id):
            outcome = "acted"
        elif status == "failed":
            outcome = "info"  # never reached them: neither acted on nor ignored
        elif status == "sent" and now >= went + wait:
            outcome = "ignored"
        else:
            stopped.add(nudge.person_id)
            continue
        outcomes[outcome].append(nudge.id)
        reset, ignored = counts.get(nudge.person_id, (False, 0))
        if outcome == "acted":
            counts[nudge.person_id] = (True, 0)
        elif outcome == "ignored":
            counts[nudge.person_id] = (reset, ignored + 1)
    for outcome, ids in outcomes.items():
        for batch in batches(ids):
            await session.execute(
                update(Nudge).where(Nudge.id.in_(batch)).values(outcome=outcome, settled_at=now),
                execution_options=UNSYNCED,
            )
    paused = await strikes.record(session, clock, settings, counts)
    return Settled(len(outcomes["acted"]), len(outcomes["ignored"]), paused)
