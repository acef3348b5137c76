"""What a decision on a claim does to the offers held on it: released into the register as if
posted now (so every HEI sees it at once and the fair release window starts afresh), or dropped
without HEIs ever seeing it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.kernel import audit, events
from bot.kernel.context import Context
from bot.register.changes import change_stamp, lock_register
from storage import lifecycle
from storage.tables import Person, PlacementOffer


async def held_for(
    ctx: Context, person_id: int, provider_id: int, team_id: int | None
) -> list[PlacementOffer]:
    """The person's held offers at the provider (only those naming `team_id` when given), their
    rows locked after the register lock, in the order every writer takes them."""
    await lock_register(ctx)
    statement = select(PlacementOffer).where(
        PlacementOffer.created_by_id == person_id,
        PlacementOffer.provider_id == provider_id,
        PlacementOffer.status.in_(lifecycle.HELD),
    )
    if team_id is not None:
        statement = statement.where(PlacementOffer.team_id == team_id)
    rows = await ctx.session.execute(
        statement.order_by(PlacementOffer.id)
        .with_for_update(of=PlacementOffer)
        .execution_options(populate_existing=True)
    )
    return list(rows.unique().scalars())


async def release_held(
    ctx: Context, person: Person, provider_id: int, team_id: int | None
) -> list[str]:
    """Release the person's held offers at the provider: refs of those now in the register."""
    released = []
    for offer in await held_for(ctx, person.id, provider_id, team_id):
        if await release_one(ctx, offer, person.id):
            released.append(offer.ref)
    return released


async def release_one(ctx: Context, offer: PlacementOffer, poster_id: int) -> bool:
    """Put one held offer in the register (True), or drop it if it has started meanwhile."""
    if offer.start_date < ctx.clock.today():
        await _drop(ctx, offer, "started while awaiting confirmation")
        return False
    before = audit.snapshot(offer)
    lifecycle.move(offer, lifecycle.OFFERED)
    delay = timedelta(hours=ctx.settings.placebot_release_delay_hours)
    offer.release_at = ctx.clock.now() + delay
    await _stamp(ctx, offer)
    await events.announce(ctx, events.OfferChanged(offer.ref))
    if offer.block is not None:  # an offer on a block answers it for its team, from now
        await events.announce(ctx, events.BlockAnswered(offer.block.ref, offer.team_id, poster_id))
    audit.record(ctx, "offer.release", "placement_offer", offer.ref, before, audit.snapshot(offer))
    return True


async def drop_started(ctx: Context) -> list[str]:
    """Held offers whose start has passed are dropped: nobody confirmed their poster in time."""
    await lock_register(ctx)
    rows = await ctx.session.execute(
        select(PlacementOffer)
        .where(
            PlacementOffer.status.in_(lifecycle.HELD),
            PlacementOffer.start_date < ctx.clock.today(),
        )
        .order_by(PlacementOffer.id)
        .with_for_update(of=PlacementOffer)
    )
    dropped = []
    for offer in list(rows.unique().scalars()):
        await _drop(ctx, offer, "started while awaiting confirmation")
        dropped.append(offer.ref)
    return dropped


async def drop_held(
    ctx: Context, person_id: int, provider_id: int, team_id: int | None, why: str
) -> list[str]:
    """Drop the person's held offers naming the team (or provider): refs of those dropped."""
    dropped = []
    for offer in await held_for(ctx, person_id, provider_id, team_id):
        await _drop(ctx, offer, why)
        dropped.append(offer.ref)
    return dropped


async def drop(ctx: Context, offer: PlacementOffer, why: str) -> None:
    """Drop one held offer (its poster withdrew it, say): it was never public, so it stays so."""
    await _drop(ctx, offer, why)


async def _drop(ctx: Context, offer: PlacementOffer, why: str) -> None:
    before = audit.snapshot(offer)
    lifecycle.move(offer, lifecycle.DROPPED)
    offer.status_reason = why[:500]
    await _stamp(ctx, offer)
    audit.record(ctx, "offer.drop", "placement_offer", offer.ref, before, audit.snapshot(offer))


async def _stamp(ctx: Context, offer: PlacementOffer) -> None:
    offer.updated_by_id = ctx.require_person().id if ctx.person else offer.updated_by_id
    offer.updated_at = await change_stamp(ctx)
    await ctx.session.flush()
    await ctx.session.refresh(offer)
