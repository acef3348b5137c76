"""Withdrawing asks first from a button, and a withdrawal can be undone for 10 minutes: the
offer returns to its previous status (with the HEI requests it had), both steps are in the
audit trail, and HEIs syncing the register incrementally see it come back."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from storage.tables import AuditEvent, PlacementOffer, PlacementRequest
from tests.conftest import bearer, make_token
from tests.support.chat import Chat, button, fact

OFFER = "placement offer PT 1 Mar - 19 Mar 2027 2 students at Stroke Rehab"


async def post(chat: Chat) -> str:
    reply = await chat.say("stroke-physio", OFFER)
    assert reply.tone == "success", reply.text
    return fact(reply, "Reference")


async def stored(chat: Chat) -> PlacementOffer:
    async with chat.bot.sessions() as session:
        return (await session.execute(select(PlacementOffer))).scalar_one()


async def trail(chat: Chat, ref: str) -> list[tuple[str, str | None, str | None]]:
    async with chat.bot.sessions() as session:
        events = (
            await session.execute(
                select(AuditEvent).where(AuditEvent.entity_ref == ref).order_by(AuditEvent.id)
            )
        ).scalars()
        return [
            (e.action, (e.before or {}).get("status"), (e.after or {}).get("status"))
            for e in events
        ]


async def test_the_withdraw_button_asks_first_and_keep_it_changes_nothing(chat: Chat) -> None:
    posted = await chat.say("stroke-physio", OFFER)
    ref = fact(posted, "Reference")
    asking = await chat.press("stroke-physio", button(posted, "Withdraw"))
    assert asking.text == (
        f"Withdraw {ref}? HEIs will see it as withdrawn. You can undo it for 10 minutes. "
        f"To say why, type `placement withdraw {ref} REASON` instead."
    )
    assert [b.label for b in asking.buttons] == ["Yes, withdraw", "Keep it"]
    assert fact(asking, "Students") == "2"
    kept = await chat.press("stroke-physio", button(asking, "Keep it"))
    assert kept.text == f"Nothing changed: {ref} stays offered."
    offer = await stored(chat)
    assert (offer.status, offer.version) == ("offered", 1)
    assert await trail(chat, ref) == [("offer.create", None, "offered")]


async def test_a_withdrawal_undone_in_time_comes_back_as_it_was(
    chat: Chat, clock: FixedClock
) -> None:
    ref = await post(chat)
    withdrawn = await chat.say("stroke-physio", f"placement withdraw {ref} ward closed")
    assert withdrawn.text == (
        f"{ref} is withdrawn. HEIs will see it as withdrawn. Changed your mind? "
        f"Undo, or `placement undo {ref}`, within 10 minutes."
    )
    stamp = (await stored(chat)).updated_at
    clock.at += timedelta(minutes=9)
    undone = await chat.press("stroke-physio", button(withdrawn, "Undo"))
    assert (undone.tone, undone.text) == (
        "success",
        f"Undone: {ref} is back, offered. HEIs see it again.",
    )
    offer = await stored(chat)
    assert (offer.status, offer.status_reason, offer.version) == ("offered", None, 3)
    assert offer.updated_at > stamp
    assert await trail(chat, ref) == [
        ("offer.create", None, "offered"),
        ("offer.withdraw", "offered", "withdrawn"),
        ("offer.undo_withdraw", "withdrawn", "offered"),
    ]
    again = await chat.say("stroke-physio", f"placement undo {ref}")
    assert (again.tone, again.text) == (
        "error",
        f"{ref} is offered, not withdrawn: there is nothing to undo.",
    )


async def test_after_ten_minutes_a_withdrawal_stays(chat: Chat, clock: FixedClock) -> None:
    ref = await post(chat)
    await chat.say("stroke-physio", f"placement withdraw {ref}")
    clock.at += timedelta(minutes=10, seconds=1)
    late = await chat.say("stroke-physio", f"placement undo {ref}")
    assert (late.tone, late.text) == (
        "error",
        f"{ref} was withdrawn more than 10 minutes ago, so it can no longer be undone. "
        "Post it again with `placement offer`.",
    )
    assert (await stored(chat)).status == "withdrawn"


async def test_only_those_who_may_change_the_offer_may_undo_it(chat: Chat) -> None:
    ref = await post(chat)
    await chat.say("stroke-physio", f"placement withdraw {ref}")
    refused = await chat.say("community-ot", f"placement undo {ref}")
    assert refused.tone == "error" and refused.text.startswith(f"Only the team that offered {ref}")
    assert (await stored(chat)).status == "withdrawn"
    assert (await chat.say("nuh-coordinator", f"placement undo {ref}")).tone == "success"
    assert (await stored(chat)).status == "offered"


async def test_undo_brings_back_the_hei_requests_and_the_register_shows_it(
    api: TestClient, bot: PlaceBot, chat: Chat
) -> None:
    ref = await post(chat)
    secret = await make_token(bot, "University of Nottingham")
    asked = await api.post(
        f"/api/v1/placements/{ref}/requests", json={"students": 1}, headers=bearer(secret)
    )
    assert asked.status == 201
    first = await (await api.get("/api/v1/placements", headers=bearer(secret))).json()
    since = first["next_updated_since"]
    assert [(i["ref"], i["status"]) for i in first["items"]] == [(ref, "requested")]

    await chat.say("stroke-physio", f"placement withdraw {ref}")
    async with chat.bot.sessions() as session:
        [request] = (await session.execute(select(PlacementRequest))).scalars().all()
    assert request.status == "cancelled"
    synced = await api.get(
        "/api/v1/placements", params={"updated_since": since}, headers=bearer(secret)
    )
    body = await synced.json()
    assert [(i["ref"], i["status"]) for i in body["items"]] == [(ref, "withdrawn")]
    since = body["next_updated_since"]

    undone = await chat.say("stroke-physio", f"placement undo {ref}")
    assert undone.text == f"Undone: {ref} is back, requested. HEIs see it again."
    async with chat.bot.sessions() as session:
        [request] = (await session.execute(select(PlacementRequest))).scalars().all()
    assert (request.status, request.decided_at) == ("pending", None)
    synced = await api.get(
        "/api/v1/placements", params={"updated_since": since}, headers=bearer(secret)
    )
    assert [(i["ref"], i["status"]) for i in (await synced.json())["items"]] == [(ref, "requested")]


async def test_an_offer_never_published_has_nothing_to_undo(chat: Chat) -> None:
    held = await chat.say(
        "visitor", "placement offer PT 1 Mar - 19 Mar 2027 1 student at Stroke Rehab", name="V"
    )
    ref = fact(held, "Reference")
    withdrawn = await chat.say("visitor", f"placement withdraw {ref}")
    assert withdrawn.text == f"{ref} is withdrawn. HEIs never saw it."
    assert "Undo" not in [b.label for b in withdrawn.buttons]
    assert (await chat.say("visitor", f"placement undo {ref}")).text.startswith(
        f"{ref} was withdrawn before it was published"
    )
    assert (await stored(chat)).status == "dropped"
