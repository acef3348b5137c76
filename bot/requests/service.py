"""HEIs' requests for places on an offer: fair before release, first come after, never over.

The fairness rule. Offers are released to every HEI at once (`release_at`). A request made
before release is *held*. At release the held requests are settled together, so no HEI gains
by asking first:

1. If the places free cover every held request, each gets what it asked for.
2. Otherwise places go one at a time, each to the request with the highest
   `unmet demand / (places already given + 1)` (the D'Hondt rule): an HEI's unmet demand is
   the students in its blocks of that profession overlapping the offer's dates, less the places
   it already holds (pending or confirmed) on offers overlapping them. A request gets no more
   than it asked for; an HEI that declared no demand gets places left after those that did.
3. Ties are broken by lot: the held requests are shuffled with a fresh random seed, and the
   seed, the order drawn, each demand and each grant are written to the audit log, so anyone
   can re-run the draw.

Requests that get places become *pending* (reduced to the places granted); those that get
none are declined. After release, requests are first come, first served.

Capacity is never over-allocated: pending plus confirmed students on an offer never exceed
its capacity. Every request write takes the register lock and then the offer's row
(`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's write lock is taken at BEGIN), so two
requests for the last place are decided one after the other: exactly one wins.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.kernel import audit, events
from bot.kernel.context import Context
from bot.kernel.errors import Conflict, NotFound, UserError
from bot.kernel.messages import Button, Fact, Item, Reply
from bot.people.permissions import require_manage_offer
from bot.register.changes import change_stamp, lock_register
from storage.tables import (
    Delivery,
    Organisation,
    Person,
    PlacementBlock,
    PlacementOffer,
    PlacementRequest,
)

MAX_STUDENTS = 30
MAX_NOTE = 2000
REQUESTABLE = ("offered", "requested", "confirmed")
ALLOCATED = ("pending", "confirmed")
OPEN = ("held", "pending")


async def _locked_offer(ctx: Context, ref: str) -> PlacementOffer:
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


async def _requests(
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


async def cancel_requests(ctx: Context, offer: PlacementOffer, reason: str) -> int:
    """Cancel every request still standing on an offer (it was withdrawn), with audit events."""
    standing = await _requests(ctx, offer, (*OPEN, "confirmed"))
    for request in standing:
        before = audit.snapshot(request)
        request.status = "cancelled"
        request.note = f"{request.note or ''}\nCancelled: {reason}.".strip()
        request.decided_at = ctx.clock.now()
        request.decided_by_id = ctx.actor_id
        await ctx.session.flush()
        audit.record(
            ctx,
            "request.cancel",
            "placement_request",
            _request_ref(offer, request),
            before,
            audit.snapshot(request),
        )
    return len(standing)


def _request_ref(offer: PlacementOffer, request: PlacementRequest) -> str:
    return f"{offer.ref}#{request.id}"


async def _restatus(ctx: Context, offer: PlacementOffer) -> None:
    """offered -> requested (a request awaits the provider) -> confirmed, from the requests."""
    if offer.status not in REQUESTABLE:
        return
    statuses = {r.status for r in await _requests(ctx, offer, ALLOCATED)}
    wanted = "requested" if "pending" in statuses else "confirmed" if statuses else "offered"
    if wanted == offer.status:
        return
    before = audit.snapshot(offer)
    offer.status = wanted
    offer.updated_at = await change_stamp(ctx)
    await ctx.session.flush()
    audit.record(
        ctx, f"offer.{wanted}", "placement_offer", offer.ref, before, audit.snapshot(offer)
    )


async def request_places(
    ctx: Context, hei: Organisation, ref: str, students: int, note: str = ""
) -> PlacementRequest:
    """An HEI asks for places: held before release, else granted now if places are left."""
    if not 1 <= students <= MAX_STUDENTS:
        raise UserError(f"students is a whole number from 1 to {MAX_STUDENTS}.", field="students")
    if len(note) > MAX_NOTE:
        raise UserError(f"A note is at most {MAX_NOTE} characters.", field="note")
    offer = await _locked_offer(ctx, ref)
    if offer.status not in REQUESTABLE:
        raise Conflict(f"{offer.ref} is {offer.status}; it takes no requests.")
    if offer.start_date <= ctx.clock.today():
        raise Conflict(f"{offer.ref} has started; it takes no requests.")
    mine = [r for r in await _requests(ctx, offer, OPEN) if r.hei_id == hei.id]
    if mine:
        raise Conflict(
            f"{hei.name} already has request {_request_ref(offer, mine[0])} ({mine[0].status}) "
            f"on {offer.ref}; wait for the provider's answer."
        )
    before_release = ctx.clock.now() < offer.release_at
    if not before_release:
        await settle(ctx, offer)
        left = await places_left(ctx, offer)
        if students > left:
            raise Conflict(
                f"{offer.ref} has {left} place{'s' if left != 1 else ''} left; "
                f"you asked for {students}."
            )
    elif students > offer.capacity:
        raise Conflict(f"{offer.ref} has {offer.capacity} places; you asked for {students}.")
    request = PlacementRequest(
        offer_id=offer.id,
        hei_id=hei.id,
        students=students,
        note=note.strip() or None,
        status="held" if before_release else "pending",
        created_at=ctx.clock.now(),
    )
    ctx.session.add(request)
    await ctx.session.flush()
    audit.record(
        ctx,
        "request.create",
        "placement_request",
        _request_ref(offer, request),
        None,
        audit.snapshot(request) | {"hei": hei.name},
    )
    if request.status == "pending":
        await _restatus(ctx, offer)
        await _tell_provider(ctx, offer, request, hei)
    return request


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
    overlapping = (
        PlacementBlock.hei_id == hei_id,
        PlacementBlock.profession == offer.profession,
        PlacementBlock.start_date <= offer.end_date,
        PlacementBlock.end_date >= offer.start_date,
    )
    demand = await ctx.session.scalar(
        select(func.coalesce(func.sum(PlacementBlock.students), 0)).where(*overlapping)
    )
    held = await ctx.session.scalar(
        select(func.coalesce(func.sum(PlacementRequest.students), 0))
        .join(PlacementOffer, PlacementOffer.id == PlacementRequest.offer_id)
        .where(
            PlacementRequest.hei_id == hei_id,
            PlacementRequest.status.in_(ALLOCATED),
            PlacementOffer.profession == offer.profession,
            PlacementOffer.start_date <= offer.end_date,
            PlacementOffer.end_date >= offer.start_date,
        )
    )
    return max(0, int(demand or 0) - int(held or 0))


async def settle(ctx: Context, offer: PlacementOffer) -> None:
    """Settle the held requests of a released offer together, by the fairness rule."""
    held = await _requests(ctx, offer, ("held",))
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
        request.status = "pending" if places else "declined"
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
    await _restatus(ctx, offer)
    for request in held:
        if request.status == "pending":
            await _tell_provider(ctx, offer, request, request.hei)


async def settle_due(ctx: Context) -> int:
    """Settle every released offer that still has held requests; how many were settled."""
    refs = (
        await ctx.session.execute(
            select(PlacementOffer.ref)
            .join(PlacementRequest, PlacementRequest.offer_id == PlacementOffer.id)
            .where(PlacementRequest.status == "held", PlacementOffer.release_at <= ctx.clock.now())
            .distinct()
        )
    ).scalars()
    settled = 0
    for ref in list(refs):
        await settle(ctx, await _locked_offer(ctx, ref))
        settled += 1
    return settled


async def decide(
    ctx: Context, ref: str, confirm: bool, request_id: int | None = None, reason: str = ""
) -> PlacementOffer:
    """The provider confirms or declines the pending requests on an offer (or just one)."""
    person = ctx.require_person()
    offer = await _locked_offer(ctx, ref)
    require_manage_offer(person, offer, "confirm" if confirm else "decline")
    await settle(ctx, offer)
    waiting = [
        r
        for r in await _requests(ctx, offer, ("pending",))
        if request_id is None or r.id == request_id
    ]
    if not waiting:
        if confirm and offer.status == "confirmed" and request_id is None:
            return offer
        which = f"request #{request_id} on {offer.ref}" if request_id else offer.ref
        raise UserError(
            f"No HEI has asked for {which} yet, so there is nothing to "
            f"{'confirm' if confirm else 'decline'}. You will be told when one does."
        )
    for request in waiting:
        before = audit.snapshot(request)
        request.status = "confirmed" if confirm else "declined"
        request.decided_at = ctx.clock.now()
        request.decided_by_id = person.id
        await ctx.session.flush()
        after = audit.snapshot(request) | ({"reason": reason.strip()[:500]} if reason else {})
        audit.record(
            ctx,
            "request.confirm" if confirm else "request.decline",
            "placement_request",
            _request_ref(offer, request),
            before,
            after,
        )
    await _restatus(ctx, offer)
    await events.announce(ctx, events.OfferChanged(offer.ref))
    await ctx.session.refresh(offer)
    return offer


async def expire_started(ctx: Context) -> list[str]:
    """Offers whose start has passed unconfirmed become `expired`; open requests on them lapse."""
    refs = (
        await ctx.session.execute(
            select(PlacementOffer.ref).where(
                PlacementOffer.status.in_(("offered", "requested")),
                PlacementOffer.start_date < ctx.clock.today(),
            )
        )
    ).scalars()
    expired = []
    for ref in list(refs):
        offer = await _locked_offer(ctx, ref)
        before = audit.snapshot(offer)
        for request in await _requests(ctx, offer, OPEN):
            request.status, request.decided_at = "cancelled", ctx.clock.now()
        offer.status, offer.status_reason = "expired", "started without a confirmed placement"
        offer.updated_at = await change_stamp(ctx)
        await ctx.session.flush()
        audit.record(ctx, "offer.expire", "placement_offer", ref, before, audit.snapshot(offer))
        expired.append(ref)
    return expired


async def requests_of(
    ctx: Context, hei: Organisation, ref: str | None = None
) -> list[tuple[PlacementRequest, str]]:
    """The HEI's own requests (never another HEI's), newest first, with each offer's ref."""
    statement = (
        select(PlacementRequest, PlacementOffer.ref)
        .join(PlacementOffer, PlacementOffer.id == PlacementRequest.offer_id)
        .where(PlacementRequest.hei_id == hei.id)
        .order_by(PlacementRequest.id.desc())
        .limit(500)
    )
    if ref is not None:
        statement = statement.where(PlacementOffer.ref == ref.strip().upper())
    return [(request, offer_ref) for request, offer_ref in (await ctx.session.execute(statement))]


async def pending_for(ctx: Context, ref: str) -> tuple[PlacementOffer, list[PlacementRequest]]:
    """An offer and the requests on it that await the provider (for the chat's buttons)."""
    offer = (
        await ctx.session.execute(
            select(PlacementOffer).where(PlacementOffer.ref == ref.strip().upper())
        )
    ).scalar_one_or_none()
    if offer is None:
        raise NotFound(f"There is no placement {ref.strip()[:30]}.")
    require_manage_offer(ctx.require_person(), offer, "answer requests for")
    return offer, await _requests(ctx, offer, ("pending",))


def request_reply(offer: PlacementOffer, requests: Sequence[PlacementRequest]) -> Reply:
    """The provider's view of waiting requests: one Confirm and one Decline button each."""
    items = tuple(
        Item(
            title=f"{offer.ref} · request #{r.id} · {r.hei.name}",
            facts=(
                Fact("Students", str(r.students)),
                *((Fact("Note", r.note),) if r.note else ()),
            ),
            buttons=(
                Button("Confirm", "offer.confirm", f"{offer.ref} #{r.id}", style="primary"),
                Button("Decline", "offer.decline", f"{offer.ref} #{r.id}", style="danger"),
            ),
        )
        for r in requests
    )
    text = (
        f"{len(requests)} HEI request{'s' if len(requests) != 1 else ''} for {offer.ref} "
        f"({offer.capacity} place{'s' if offer.capacity != 1 else ''}) await your answer."
        if requests
        else f"No requests for {offer.ref} await an answer."
    )
    return Reply(text=text, items=items, private=True)


async def _tell_provider(
    ctx: Context, offer: PlacementOffer, request: PlacementRequest, hei: Organisation
) -> None:
    """Queue a message with Confirm and Decline buttons to whoever posted the offer."""
    poster = await ctx.session.get(Person, offer.created_by_id)
    if poster is None:
        return
    request.hei = hei
    reply = request_reply(offer, [request])
    ctx.session.add(
        Delivery(
            recipient_id=poster.id,
            channel=poster.preferred_channel or "local",
            message=reply.to_dict(),
            dedupe_key=f"request:{request.id}:pending",
            next_attempt_at=ctx.clock.now(),
            created_at=ctx.clock.now(),
        )
    )
