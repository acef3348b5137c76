"""What the offer's poster is shown and sent about HEI requests: Confirm and Decline for each."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.delivery.tell import tell
from bot.kernel.context import Context
from bot.kernel.messages import Button, Fact, Item, Reply
from storage.tables import Organisation, PlacementOffer, PlacementRequest

log = logging.getLogger(__name__)


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


def dedupe_key(request: PlacementRequest) -> str:
    return f"request:{request.id}:pending"


async def tell_poster(
    ctx: Context, offer: PlacementOffer, request: PlacementRequest, hei: Organisation
) -> None:
    """Queue the request, with Confirm and Decline, to whoever posted the offer, wherever they
    are reached (a Slack DM, a Teams proactive card, the local inbox or email)."""
    request.hei = hei
    reply = request_reply(offer, [request])
    told = await tell(ctx.session, offer.created_by_id, reply, dedupe_key(request), ctx.clock.now())
    if not told.reached:  # they still see it in `placement requests REF` and on their offer
        log.warning(
            "no channel reaches person %s to tell them of %s", offer.created_by_id, offer.ref
        )
