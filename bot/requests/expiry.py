"""Offers whose start has passed without a confirmed placement expire, confirmed ones whose end
has passed are completed, and the requests still open on either lapse."""

from __future__ import annotations

from sqlalchemy import select

from bot.kernel import audit
from bot.kernel.context import Context
from bot.register.changes import change_stamp
from bot.requests.records import OPEN, locked_offer, requests_on, restatus
from storage import lifecycle
from storage.lifecycle import RequestStatus
from storage.tables import PlacementOffer


async def expire_started(ctx: Context) -> list[str]:
    """Offers whose start has passed unconfirmed become `expired`; open requests on them lapse.
    One with a confirmed request and another still waiting is `requested`: the waiting one
    lapses and the offer stays confirmed."""
    refs = (
        await ctx.session.execute(
            select(PlacementOffer.ref).where(
                PlacementOffer.status.in_(lifecycle.UNCONFIRMED),
                PlacementOffer.start_date < ctx.clock.today(),
            )
        )
    ).scalars()
    expired = []
    for ref in list(refs):
        offer = await locked_offer(ctx, ref)
        before = audit.snapshot(offer)
        for request in await requests_on(ctx, offer, OPEN):
            request.status, request.decided_at = RequestStatus.CANCELLED, ctx.clock.now()
        if await requests_on(ctx, offer, (RequestStatus.CONFIRMED,)):
            await restatus(ctx, offer)  # its confirmed students keep it: confirmed, not expired
            continue
        lifecycle.move(offer, lifecycle.EXPIRED)
        offer.status_reason = "started without a confirmed placement"
        offer.updated_at = await change_stamp(ctx)
        await ctx.session.flush()
        audit.record(ctx, "offer.expire", "placement_offer", ref, before, audit.snapshot(offer))
        expired.append(ref)
    return expired


async def complete_ended(ctx: Context) -> list[str]:
    """Confirmed offers whose end date has passed become `completed` (a withdrawn one never
    does); requests still open on them lapse. Stamped and audited, so HEIs' sync sees it."""
    refs = (
        await ctx.session.execute(
            select(PlacementOffer.ref).where(
                PlacementOffer.status == lifecycle.CONFIRMED,
                PlacementOffer.end_date < ctx.clock.today(),
            )
        )
    ).scalars()
    completed = []
    for ref in list(refs):
        offer = await locked_offer(ctx, ref)
        if offer.status != lifecycle.CONFIRMED:  # withdrawn meanwhile
            continue
        before = audit.snapshot(offer)
        for request in await requests_on(ctx, offer, OPEN):
            request.status, request.decided_at = RequestStatus.CANCELLED, ctx.clock.now()
        lifecycle.move(offer, lifecycle.COMPLETED)
        offer.status_reason = "ended"
        offer.updated_at = await change_stamp(ctx)
        await ctx.session.flush()
        audit.record(ctx, "offer.complete", "placement_offer", ref, before, audit.snapshot(offer))
        completed.append(ref)
    return completed
