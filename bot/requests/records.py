"""What every request module shares: the statuses that count, the locked offer, its requests.

Every request write takes the register lock and then the offer's row (`SELECT ... FOR UPDATE` on
PostgreSQL; SQLite's write lock is taken at BEGIN), so two writes on one offer go one at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from bot.kernel import audit
from bot.kernel.context import Context
from bot.kernel.errors import NotFound
from bot.register.changes import change_stamp, lock_register
from storage import lifecycle
from storage.lifecycle import RequestStatus
from storage.tables import PlacementOffer, PlacementRequest

REQUESTABLE = lifecycle.LIVE
ALLOCATED = lifecycle.ALLOCATED
OPEN = lifecycle.OPEN_REQUEST


async def locked_offer(ctx: Context, ref: str) -> PlacementOffer:
    """The offer, its row locked to the end of the transaction (after the register lock)."""
    await lock_register(ctx)
    offer = (
        await ctx.session.execute(
            select(PlacementOffer)
            .where(PlacementOffer.ref == ref.strip().upper())
            .with_for_update(of=PlacementOffer)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if offer is None:
        raise NotFound(f"There is no placement {ref.strip()[:30]}.")
    return offer


async def requests_on(
    ctx: Context, offer: PlacementOffer, statuses: Sequence[str]
) -> list[PlacementRequest]:
    rows = await ctx.session.execute(
        select(PlacementRequest)
        .where(PlacementRequest.offer_id == offer.id, PlacementRequest.status.in_(statuses))
        .order_by(PlacementRequest.id)
    )
    return list(rows.scalars())


async def places_left(ctx: Context, offer: PlacementOffer) -> int:
    taken = await ctx.session.scalar(
        select(func.coalesce(func.sum(PlacementRequest.students), 0)).where(
            PlacementRequest.offer_id == offer.id, PlacementRequest.status.in_(ALLOCATED)
        )
    )
    return offer.capacity - int(taken or 0)


def request_ref(offer: PlacementOffer, request: PlacementRequest) -> str:
    return f"{offer.ref}#{request.id}"


async def restatus(ctx: Context, offer: PlacementOffer) -> None:
    """offered -> requested (a request awaits the provider) -> confirmed, from the requests."""
    if offer.status not in REQUESTABLE:
        return
    statuses = {r.status for r in await requests_on(ctx, offer, ALLOCATED)}
    wanted = (
        lifecycle.REQUESTED
        if RequestStatus.PENDING in statuses
        else lifecycle.CONFIRMED
        if statuses
        else lifecycle.OFFERED
    )
    if wanted == offer.status:
        return
    before = audit.snapshot(offer)
    lifecycle.move(offer, wanted)
    offer.updated_at = await change_stamp(ctx)
    await ctx.session.flush()
    audit.record(
        ctx, f"offer.{wanted}", "placement_offer", offer.ref, before, audit.snapshot(offer)
    )
