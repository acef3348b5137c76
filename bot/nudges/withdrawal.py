"""Nudges withdrawn before they go: a queued nudge must not reach someone who has since turned
nudges off, snoozed them or been paused, nor ask about something already answered. Each call
cancels the outbox rows still pending (`bot.delivery.queue.cancel_pending`) in the caller's
transaction; the scan later settles such a nudge as information (`bot.nudges.outcomes`).
Offers and blocks reach it only by announcing their changes (`bot.kernel.events`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import queue
from bot.kernel import events
from bot.kernel.context import Context
from bot.nudges import keys
from storage.batches import batches
from storage.tables import Nudge, Person


async def cancel_pending(session: AsyncSession, person_ids: Collection[int]) -> int:
    """Cancel these people's nudges not yet sent: they turned nudges off, snoozed them or were
    paused, and a nudge queued earlier must not reach them after all. One statement a batch."""
    cancelled = 0
    for batch in batches(list(person_ids)):
        cancelled += await queue.cancel_pending(
            session, batch, keys.ANY, "nudges turned off, snoozed or paused"
        )
    return cancelled


async def withdraw_pending(
    session: AsyncSession,
    today: date,
    kind: str,
    subject: str,
    team_id: int | None = None,
    person_id: int | None = None,
) -> int:
    """Cancel today's unsent nudges about a subject that has just been answered, in one
    statement: for an offer, everyone's; for a block, those of the answering team (and the
    person who answered), as other teams still owe their own answer."""
    whose = select(Nudge.person_id).where(
        Nudge.sent_on == today,
        Nudge.kind == kind,
        Nudge.subject == subject,
        Nudge.outcome == "open",
    )
    answered_for = []
    if team_id is not None:
        answered_for.append(Nudge.person_id.in_(select(Person.id).where(Person.team_id == team_id)))
    if person_id is not None:
        answered_for.append(Nudge.person_id == person_id)
    if answered_for:
        whose = whose.where(or_(*answered_for))
    return await queue.cancel_pending(
        session, whose, keys.on_day(today), f"the {subject} nudge was answered before it went"
    )


@events.reacts_to(events.OfferChanged)
async def _offer_changed(ctx: Context, event: events.OfferChanged) -> None:
    """Whoever was to be asked today to confirm this offer need not be."""
    await withdraw_pending(ctx.session, ctx.clock.today(), "offer_start", event.ref)


@events.reacts_to(events.BlockAnswered)
async def _block_answered(ctx: Context, event: events.BlockAnswered) -> None:
    """The answering team (and the person who answered) need not be asked about this block."""
    await withdraw_pending(
        ctx.session, ctx.clock.today(), "block", event.ref, event.team_id, event.person_id
    )
