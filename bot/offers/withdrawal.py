"""Withdrawing an offer, after a look before the leap, and taking it back within minutes.

A withdrawal can be undone for `UNDO_WINDOW` by anyone who may change the offer: the offer
returns to the status it had, with the HEI requests the withdrawal cancelled, and both steps
stay in the audit trail. The undo is a change like any other, so its new change stamp brings
the offer back to HEIs that sync the register incrementally.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.kernel import audit
from bot.kernel.context import Context
from bot.kernel.errors import UserError
from bot.offers import service
from bot.people.permissions import require_manage_offer
from bot.requests.records import request_ref
from storage import lifecycle
from storage.tables import AuditEvent, PlacementOffer, PlacementRequest

UNDO_WINDOW = timedelta(minutes=10)
GONE = (lifecycle.WITHDRAWN, lifecycle.DROPPED)


async def about_to_withdraw(ctx: Context, ref: str, version: int | None) -> PlacementOffer:
    """The offer a Withdraw button is about to withdraw, after the checks the withdrawal will
    make (who may, and the version the button showed); nothing is written."""
    offer = await service.get_offer(ctx, ref)
    require_manage_offer(ctx.require_person(), offer, "withdraw")
    if offer.status not in GONE:
        service.check_version(offer, version)
        if offer.status not in lifecycle.HELD and not lifecycle.can_move(
            offer.status, lifecycle.WITHDRAWN
        ):
            raise UserError(f"{offer.ref} is {offer.status}; it can no longer be withdrawn.")
    return offer


async def _last_withdrawal(ctx: Context, ref: str) -> AuditEvent | None:
    return (
        await ctx.session.execute(
            select(AuditEvent)
            .where(AuditEvent.entity == "placement_offer", AuditEvent.entity_ref == ref)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


async def _restore_requests(ctx: Context, offer: PlacementOffer, withdrawn: AuditEvent) -> None:
    """The HEI requests the withdrawal cancelled (recorded with it, in its transaction), as
    they were before it."""
    cancels = (
        await ctx.session.execute(
            select(AuditEvent).where(
                AuditEvent.action == "request.cancel",
                AuditEvent.entity_ref.like(f"{offer.ref}#%"),
                AuditEvent.at == withdrawn.at,
            )
        )
    ).scalars()
    for cancel in cancels:
        request_id = int(cancel.entity_ref.rsplit("#", 1)[1])
        request = await ctx.session.get(PlacementRequest, request_id)
        if request is None or cancel.before is None:
            continue
        before = audit.snapshot(request)
        request.status = cancel.before["status"]
        request.note = cancel.before["note"]
        request.decided_at = _when(cancel.before["decided_at"])
        request.decided_by_id = cancel.before["decided_by_id"]
        await ctx.session.flush()
        audit.record(
            ctx,
            "request.restore",
            "placement_request",
            request_ref(offer, request),
            before,
            audit.snapshot(request),
        )


async def undo_withdraw(ctx: Context, ref: str) -> PlacementOffer:
    """Put a withdrawn offer back as it was, within `UNDO_WINDOW` of the withdrawal."""
    offer = await service.get_offer(ctx, ref)
    require_manage_offer(ctx.require_person(), offer, "bring back")
    if offer.status == lifecycle.DROPPED:
        raise UserError(
            f"{offer.ref} was withdrawn before it was published, so there is nothing to undo "
            "for HEIs; post it again with `placement offer`."
        )
    if offer.status != lifecycle.WITHDRAWN:
        raise UserError(f"{offer.ref} is {offer.status}, not withdrawn: there is nothing to undo.")
    withdrawn = await _last_withdrawal(ctx, offer.ref)
    if withdrawn is None or withdrawn.action != "offer.withdraw" or withdrawn.before is None:
        raise UserError(f"I can't find {offer.ref}'s withdrawal to undo it.")
    minutes = int(UNDO_WINDOW.total_seconds() // 60)
    if ctx.clock.now() - withdrawn.at > UNDO_WINDOW:
        raise UserError(
            f"{offer.ref} was withdrawn more than {minutes} minutes ago, so it can no longer be "
            "undone. Post it again with `placement offer`."
        )
    before = audit.snapshot(offer)
    await _restore_requests(ctx, offer, withdrawn)
    # Not a move of the lifecycle's (withdrawn is final there): the withdrawal taken back.
    offer.status = withdrawn.before["status"]
    offer.status_reason = withdrawn.before["status_reason"]
    return await service.save(ctx, offer, "offer.undo_withdraw", before)
