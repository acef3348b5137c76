"""`GET /local/inbox?user=KEY[&after=ID]`: what PlaceBot sent a local person on its own.

The local channel's delivery is the outbox row itself (see `channel.py`), so the inbox is that
person's sent local deliveries, in the order they were sent, newest last:
`{"messages": [{"id": 7, "sent_at": "2026-11-23T09:30:00+00:00", "label": "Reminder",
"reply": {...Reply...}}]}`, labelled by what it is (Reminder, Digest, Weekly summary, ...:
`bot.delivery.kinds`).
Without `after`, the latest few; with `after` (the last id the page showed), those sent since.
Senders on several workers may commit a moment out of order, so the answer also repeats what
was sent in the minute before `after`: the page shows each id once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.chat.placebot import PlaceBot
from bot.delivery import kinds
from bot.kernel.messages import Reply
from bot.kernel.numbers import whole_number
from storage.tables import Delivery, Identity

LATEST = 20
SETTLING = timedelta(minutes=1)


def _after(request: web.Request) -> int | None:
    raw = request.query.get("after", "")
    if not raw:
        return None
    found = whole_number(raw, most_digits=18)  # ASCII digits: `int` refuses "²", isdigit not
    if found is None:
        raise web.HTTPBadRequest(text="after= must be the id of a message, e.g. after=7.")
    return found


async def messages(bot: PlaceBot, user: str, after: int | None) -> list[dict[str, Any]]:
    async with bot.sessions() as session:
        person_id = await session.scalar(
            select(Identity.person_id).where(
                Identity.platform == "local", Identity.external_id == user
            )
        )
        if person_id is None:
            return []  # someone new: nothing sent to them yet
        mine = (
            Delivery.recipient_id == person_id,
            Delivery.channel == "local",
            Delivery.status == "sent",
        )
        statement = select(
            Delivery.id, Delivery.sent_at, Delivery.message, Delivery.dedupe_key
        ).where(*mine)
        seen_at = None
        if after is not None:
            seen_at = await session.scalar(
                select(Delivery.sent_at).where(*mine, Delivery.id == after)
            )
        if seen_at is not None:
            statement = statement.where(
                Delivery.sent_at >= seen_at - SETTLING, Delivery.id != after
            )
        rows = await session.execute(
            statement.order_by(Delivery.sent_at.desc(), Delivery.id.desc()).limit(LATEST)
        )
        found = rows.all()
    return [
        {
            "id": delivery_id,
            "sent_at": sent_at.isoformat() if sent_at else None,
            "label": kinds.label(key) or kinds.OTHER,
            "reply": Reply.from_dict(message).to_dict(),
        }
        for delivery_id, sent_at, message, key in reversed(found)
    ]


async def inbox(request: web.Request, bot: PlaceBot) -> web.Response:
    user = request.query.get("user", "")
    if not user:
        raise web.HTTPBadRequest(text="Say whose messages, e.g. /local/inbox?user=stroke-physio.")
    found = await messages(bot, user[:100], _after(request))
    return web.json_response({"messages": found})
