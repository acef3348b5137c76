"""Offers whose start has passed without a confirmed placement expire, and their requests lapse."""

from __future__ import annotations

from sqlalchemy import select

from bot.kernel import audit
from bot.kernel.context import Context
from bot.register.changes import change_stamp
from bot.requests.records import OPEN, locked_offer, requests_on
from storage import lifecycle
from storage.lifecycle import RequestStatus
from storage.tables import PlacementOffer


async def expire_started(ctx: Context) -> list[str]:
    """Offers whose start has passed unconfirmed become `expired`; open requests on them lapse."""
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
        lifecycle.move(offer, lifecycle.EXPIRED)
        offer.status_reason = "started without a confirmed placement"
        offer.updated_at = await change_stamp(ctx)
        await ctx.session.flush()
        audit.record(ctx, "offer.expire", "placement_offer", ref, before, audit.snapshot(offer))
        expired.append(ref)
    return expired
