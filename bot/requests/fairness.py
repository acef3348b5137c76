"""The release-time settlement: requests made before release share the places fairly.

Offers are released to every HEI at once (`release_at`). A request made before release is
*held*. At release the held requests are settled together, so no HEI gains by asking first:

1. If the places free cover every held request, each gets what it asked for.
2. Otherwise places go one at a time, each to the request with the highest
   `unmet demand / (places already given + 1)` (the D'Hondt rule): an HEI's unmet demand is
   the students in its blocks of that profession overlapping the offer's dates, less the places
   it already holds (pending or confirmed) on offers overlapping them
   (`bot.blocks.demand.unmet_demand`, the overlap rule every block count uses). A request
   gets no more than it asked for; an HEI that declared no demand gets places left after
   those that did.
3. Ties are broken by lot: the held requests are shuffled with a fresh random seed, and the
   seed, the order drawn, each demand and each grant are written to the audit log, so anyone
   can re-run the draw.

Requests that get places become *pending* (reduced to the places granted) and their offer's
poster is told; those that get none are declined. After release, requests are first come,
first served.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from bot.blocks import demand
from bot.kernel import audit
from bot.kernel.context import Context
from bot.requests.messages import tell_poster
from bot.requests.records import (
    REQUESTABLE,
    locked_offer,
    places_left,
    requests_on,
    restatus,
)
from storage.lifecycle import RequestStatus
from storage.tables import PlacementOffer, PlacementRequest


@dataclass(frozen=True)
class Claim:
    """A held request as the fairness rule sees it."""

    request_id: int
    asked: int
    demand: int  # the HEI's unmet block demand
    lot: int  # position in the seeded draw: lower wins a tie


def apportion(places: int, claims: Sequence[Claim]) -> dict[int, int]:
    """Places per request by the D'Hondt rule on unmet demand, ties by lot (see module doc)."""
    granted = {claim.request_id: 0 for claim in claims}
    for _ in range(places):
        open_claims = [c for c in claims if granted[c.request_id] < c.asked]
        if not open_claims:
            break
        best = max(open_claims, key=lambda c: (c.demand / (granted[c.request_id] + 1), -c.lot))
        granted[best.request_id] += 1
    return granted


async def _unmet_demand(ctx: Context, offer: PlacementOffer, hei_id: int) -> int:
    return await demand.unmet_demand(
        ctx.session, hei_id, offer.profession, offer.start_date, offer.end_date
    )


async def settle(ctx: Context, offer: PlacementOffer) -> None:
    """Settle the held requests of a released offer together, by the fairness rule."""
    held = await requests_on(ctx, offer, (RequestStatus.HELD,))
    if not held or ctx.clock.now() < offer.release_at:
        return
    seed = secrets.randbits(64)
    order = [r.id for r in held]
    random.Random(seed).shuffle(order)  # noqa: S311 -- a fair lot, published, not a secret
    claims = [
        Claim(r.id, r.students, await _unmet_demand(ctx, offer, r.hei_id), order.index(r.id))
        for r in held
    ]
    free = await places_left(ctx, offer) if offer.status in REQUESTABLE else 0
    granted = apportion(free, claims)
    now = ctx.clock.now()
    for request in held:
        places = granted[request.id]
        request.status = RequestStatus.PENDING if places else RequestStatus.DECLINED
        request.students = places or request.students
        if not places:
            request.decided_at = now
    await ctx.session.flush()
    audit.record(
        ctx,
        "offer.settle",
        "placement_offer",
        offer.ref,
        {"held": {str(c.request_id): c.asked for c in claims}},
        {
            "rule": "dhondt-unmet-block-demand",
            "seed": seed,
            "lot": order,
            "places": free,
            "demand": {str(c.request_id): c.demand for c in claims},
            "granted": {str(k): v for k, v in granted.items()},
        },
    )
    await restatus(ctx, offer)
    for request in held:
        if request.status == RequestStatus.PENDING:
            await tell_poster(ctx, offer, request, request.hei)


async def settle_due(ctx: Context) -> int:
    """Settle every released offer that still has held requests; how many were settled."""
    refs = (
        await ctx.session.execute(
            select(PlacementOffer.ref)
            .join(PlacementRequest, PlacementRequest.offer_id == PlacementOffer.id)
            .where(
                PlacementRequest.status == RequestStatus.HELD,
                PlacementOffer.release_at <= ctx.clock.now(),
            )
            .distinct()
        )
    ).scalars()
    settled = 0
    for ref in list(refs):
        await settle(ctx, await locked_offer(ctx, ref))
        settled += 1
    return settled
