"""HEIs' requests for places on an offer, and the provider's answers.

A request made before the offer's release is *held* and settled at release by the fairness rule
(`bot.requests.fairness`); after release it is first come, first served. Capacity is never
over-allocated: pending plus confirmed students on an offer never exceed its capacity. Every
request write locks the offer first (`records.locked_offer`), so two requests for the last place
are decided one after the other: exactly one wins.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.kernel import audit, events
from bot.kernel.context import Context
from bot.kernel.errors import Conflict, NotFound, UserError
from bot.people.permissions import require_manage_offer
from bot.requests.fairness import settle
from bot.requests.messages import tell_poster
from bot.requests.records import (
    OPEN,
    REQUESTABLE,
    locked_offer,
    places_left,
    request_ref,
    requests_on,
    restatus,
)
from storage import lifecycle
from storage.lifecycle import RequestStatus
from storage.tables import Organisation, PlacementOffer, PlacementRequest

__all__ = [
    "cancel_requests",
    "decide",
    "pending_for",
    "request_places",
    "requests_of",
]

MAX_STUDENTS = 30
MAX_NOTE = 2000


async def cancel_requests(ctx: Context, offer: PlacementOffer, reason: str) -> int:
    """Cancel every request still standing on an offer (it was withdrawn), with audit events."""
    standing = await requests_on(ctx, offer, (*OPEN, RequestStatus.CONFIRMED))
    for request in standing:
        before = audit.snapshot(request)
        request.status = RequestStatus.CANCELLED
        request.note = f"{request.note or ''}\nCancelled: {reason}.".strip()
        request.decided_at = ctx.clock.now()
        request.decided_by_id = ctx.actor_id
        await ctx.session.flush()
        audit.record(
            ctx,
            "request.cancel",
            "placement_request",
            request_ref(offer, request),
            before,
            audit.snapshot(request),
        )
    return len(standing)


async def request_places(
    ctx: Context, hei: Organisation, ref: str, students: int, note: str = ""
) -> PlacementRequest:
    """An HEI asks for places: held before release, else granted now if places are left."""
    if not 1 <= students <= MAX_STUDENTS:
        raise UserError(f"students is a whole number from 1 to {MAX_STUDENTS}.", field="students")
    if len(note) > MAX_NOTE:
        raise UserError(f"A note is at most {MAX_NOTE} characters.", field="note")
    offer = await locked_offer(ctx, ref)
    if offer.status in lifecycle.NEVER_PUBLIC:  # HEIs must not learn that it exists
        raise NotFound(f"There is no placement {ref.strip()[:30]}.")
    if offer.status not in REQUESTABLE:
        raise Conflict(f"{offer.ref} is {offer.status}; it takes no requests.")
    if offer.start_date <= ctx.clock.today():
        raise Conflict(f"{offer.ref} has started; it takes no requests.")
    mine = [r for r in await requests_on(ctx, offer, OPEN) if r.hei_id == hei.id]
    if mine:
        raise Conflict(
            f"{hei.name} already has request {request_ref(offer, mine[0])} ({mine[0].status}) "
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
        status=RequestStatus.HELD if before_release else RequestStatus.PENDING,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(request)
    await ctx.session.flush()
    audit.record(
        ctx,
        "request.create",
        "placement_request",
        request_ref(offer, request),
        None,
        audit.snapshot(request) | {"hei": hei.name},
    )
    if request.status == RequestStatus.PENDING:
        await restatus(ctx, offer)
        await tell_poster(ctx, offer, request, hei)
    return request


async def decide(
    ctx: Context, ref: str, confirm: bool, request_id: int | None = None, reason: str = ""
) -> PlacementOffer:
    """The provider confirms or declines the pending requests on an offer (or just one)."""
    person = ctx.require_person()
    offer = await locked_offer(ctx, ref)
    require_manage_offer(person, offer, "confirm" if confirm else "decline")
    await settle(ctx, offer)
    waiting = [
        r
        for r in await requests_on(ctx, offer, (RequestStatus.PENDING,))
        if request_id is None or r.id == request_id
    ]
    if not waiting:
        if confirm and offer.status == lifecycle.CONFIRMED and request_id is None:
            return offer
        if await _confirmed_already(ctx, offer, confirm, request_id):
            return offer
        which = f"request #{request_id} on {offer.ref}" if request_id else offer.ref
        raise UserError(
            f"No HEI has asked for {which} yet, so there is nothing to "
            f"{'confirm' if confirm else 'decline'}. You will be told when one does."
        )
    for request in waiting:
        before = audit.snapshot(request)
        request.status = RequestStatus.CONFIRMED if confirm else RequestStatus.DECLINED
        request.decided_at = ctx.clock.now()
        request.decided_by_id = person.id
        await ctx.session.flush()
        after = audit.snapshot(request) | ({"reason": reason.strip()[:500]} if reason else {})
        audit.record(
            ctx,
            "request.confirm" if confirm else "request.decline",
            "placement_request",
            request_ref(offer, request),
            before,
            after,
        )
    await restatus(ctx, offer)
    await events.announce(ctx, events.OfferChanged(offer.ref))
    await ctx.session.refresh(offer)
    return offer


async def _confirmed_already(
    ctx: Context, offer: PlacementOffer, confirm: bool, request_id: int | None
) -> bool:
    """A button pressed again, or after the other one (a DM keeps its buttons): confirming a
    confirmed request is done already; any other answer to an answered request says so."""
    if request_id is None:
        return False
    decided = await ctx.session.get(PlacementRequest, request_id)
    if decided is None or decided.offer_id != offer.id or decided.status in OPEN:
        return False
    if confirm and decided.status == RequestStatus.CONFIRMED:
        return True
    raise UserError(
        f"Request #{request_id} on {offer.ref} is {decided.status} already; there is nothing "
        f"to {'confirm' if confirm else 'decline'}."
    )


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
    return offer, await requests_on(ctx, offer, (RequestStatus.PENDING,))
