"""A confirmed placement becomes `completed` once its end date has passed, in the register's
housekeeping: audited and stamped, so an HEI's incremental sync sees it; a withdrawn one never
does, and a placement still running stays confirmed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from bot.kernel.jobs import JobContext
from bot.runtime import housekeeping
from storage.tables import AuditEvent, PlacementOffer, PlacementRequest
from tests.conftest import bearer, make_token
from tests.support.chat import Chat, fact

SHORT = "placement offer PT 30 Nov - 11 Dec 2026 2 students at Stroke Rehab"
LONG = "placement offer PT 30 Nov 2026 - 26 Feb 2027 1 student at Stroke Rehab"


async def confirmed_offer(chat: Chat, api: TestClient, secret: str, words: str) -> str:
    """Posted in chat, asked for by the HEI through the API, confirmed by its poster."""
    ref = fact(await chat.say("stroke-physio", words), "Reference")
    asked = await api.post(
        f"/api/v1/placements/{ref}/requests", json={"students": 1}, headers=bearer(secret)
    )
    assert asked.status == 201, await asked.text()
    confirmed = await chat.say("stroke-physio", f"placement confirm {ref}")
    assert confirmed.tone == "success", confirmed.text
    return ref


async def changed_since(api: TestClient, secret: str, since: str) -> list[dict[str, Any]]:
    response = await api.get(
        "/api/v1/placements", params={"updated_since": since}, headers=bearer(secret)
    )
    assert response.status == 200
    return list((await response.json())["items"])


async def test_a_confirmed_placement_completes_after_its_end_and_sync_sees_it(
    chat: Chat, bot: PlaceBot, api: TestClient, clock: FixedClock
) -> None:
    secret = await make_token(bot, "University of Lincoln")
    short = await confirmed_offer(chat, api, secret, SHORT)
    running = await confirmed_offer(chat, api, secret, LONG)
    gone = await confirmed_offer(chat, api, secret, SHORT)
    assert (await chat.say("stroke-physio", f"placement withdraw {gone} ward closed")).tone == (
        "success"
    )
    # A second HEI asks for the short placement's last place and is still waiting at its end.
    other = await make_token(bot, "University of Nottingham")
    asked = await api.post(
        f"/api/v1/placements/{short}/requests", json={"students": 1}, headers=bearer(other)
    )
    assert asked.status == 201
    synced = (await (await api.get("/api/v1/placements", headers=bearer(secret))).json())[
        "next_updated_since"
    ]

    clock.at += timedelta(days=19)  # 11 December has passed; 26 February has not
    tidy = JobContext(bot.sessions, clock, bot.settings)
    await housekeeping.tidy(tidy)

    assert [(r["ref"], r["status"]) for r in await changed_since(api, secret, synced)] == [
        (short, "completed")
    ]
    async with bot.sessions() as session:
        statuses = dict(
            (await session.execute(select(PlacementOffer.ref, PlacementOffer.status))).all()
        )
        assert (statuses[short], statuses[running], statuses[gone]) == (
            "completed",
            "confirmed",
            "withdrawn",
        )
        [audit] = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "offer.complete"))
        ).scalars()
        assert audit.entity_ref == short
        assert (audit.before["status"], audit.after["status"]) == ("confirmed", "completed")
        requests = (
            await session.execute(
                select(PlacementRequest.status)
                .join(PlacementOffer, PlacementOffer.id == PlacementRequest.offer_id)
                .where(PlacementOffer.ref == short)
                .order_by(PlacementRequest.id)
            )
        ).scalars()
        assert list(requests) == ["confirmed", "cancelled"]  # the waiting one lapses

    await housekeeping.tidy(tidy)  # a second run changes nothing
    async with bot.sessions() as session:
        done = await session.scalar(
            select(AuditEvent.id).where(AuditEvent.action == "offer.complete").offset(1)
        )
    assert done is None
