"""HEIs request places: held and settled fairly before release, first come after, never over."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from bot.kernel.context import Context
from bot.requests.fairness import Claim, apportion, settle_due
from config.settings import Settings
from storage.tables import AuditEvent, PlacementRequest
from tests.conftest import bearer, make_token
from tests.support.builder import Builder
from tests.support.chat import Chat, button, fact
from tests.support.inbox import Inbox

NOTTINGHAM, LINCOLN, SHU = (
    "University of Nottingham",
    "University of Lincoln",
    "Sheffield Hallam University",
)


async def post_offer(chat: Chat, students: int = 2) -> str:
    reply = await chat.say(
        "stroke-physio",
        f"placement offer PT 1 Mar - 19 Mar 2027 {students} students at Stroke Rehab",
    )
    assert reply.tone == "success", reply.text
    return fact(reply, "Reference")


async def ask(api: TestClient, secret: str, ref: str, students: int, note: str = ""):
    return await api.post(
        f"/api/v1/placements/{ref}/requests",
        json={"students": students, "note": note},
        headers=bearer(secret),
    )


async def status_of(api: TestClient, secret: str, ref: str) -> str:
    response = await api.get(f"/api/v1/placements/{ref}", headers=bearer(secret))
    return (await response.json())["status"]


async def test_after_release_first_come_first_served_and_the_provider_confirms_in_chat(
    api: TestClient, bot: PlaceBot, chat: Chat, inbox: Inbox
) -> None:
    ref = await post_offer(chat, students=2)
    nottingham, lincoln = await make_token(bot, NOTTINGHAM), await make_token(bot, LINCOLN)
    first = await ask(api, nottingham, ref, 2, "two year-2 students")
    assert first.status == 201
    assert (await first.json())["status"] == "pending"
    assert await status_of(api, lincoln, ref) == "requested"
    late = await ask(api, lincoln, ref, 1)
    assert late.status == 409 and "0 places left" in (await late.json())["error"]
    # Each HEI sees its own requests only.
    theirs = await api.get(f"/api/v1/placements/{ref}/requests", headers=bearer(lincoln))
    assert (await theirs.json())["items"] == []
    ours = await api.get(f"/api/v1/placements/{ref}/requests", headers=bearer(nottingham))
    assert [r["hei"] for r in (await ours.json())["items"]] == [NOTTINGHAM]

    # The provider was sent a message with Confirm and Decline, and can list requests.
    [delivered] = await inbox.deliver()
    assert [b.label for b in delivered.reply.items[0].buttons] == ["Confirm", "Decline"]
    waiting = await chat.say("stroke-physio", f"placement requests {ref}")
    assert NOTTINGHAM in waiting.items[0].title
    confirmed = await chat.press("stroke-physio", button(waiting, "Confirm", item=0))
    assert confirmed.tone == "success", confirmed.text
    assert await status_of(api, lincoln, ref) == "confirmed"
    ours = await api.get(f"/api/v1/placements/{ref}/requests", headers=bearer(nottingham))
    assert (await ours.json())["items"][0]["status"] == "confirmed"


async def test_a_declined_request_frees_the_places(
    api: TestClient, bot: PlaceBot, chat: Chat
) -> None:
    ref = await post_offer(chat, students=1)
    nottingham, lincoln = await make_token(bot, NOTTINGHAM), await make_token(bot, LINCOLN)
    assert (await ask(api, nottingham, ref, 1)).status == 201
    card = await chat.say("stroke-physio", "placement mine")
    declined = await chat.press("stroke-physio", button(card, "Decline", item=0))
    assert "Declined" in declined.text and fact(declined, "Status") == "offered"
    assert (await ask(api, lincoln, ref, 1)).status == 201
    other = await chat.say("ward12-physio", f"placement decline {ref} no educator")
    assert other.tone == "error"  # only the offering team, its coordinator or the faculty lead
    answered = await chat.say("stroke-physio", f"placement decline {ref} #99")
    assert "nothing to decline" in answered.text


async def test_bad_requests_are_refused_without_a_trace(
    api: TestClient, bot: PlaceBot, chat: Chat
) -> None:
    ref = await post_offer(chat)
    secret = await make_token(bot, NOTTINGHAM)
    url = f"/api/v1/placements/{ref}/requests"
    for body in (b"{", b"[1]", b'{"students": "2"}', b'{"students": 0}', b'{"students": true}'):
        response = await api.post(url, data=body, headers=bearer(secret))
        assert response.status == 400, body
    huge = await api.post(url, json={"students": 1, "note": "x" * 50_000}, headers=bearer(secret))
    assert huge.status == 413
    missing = await ask(api, secret, "PL-2027-9999", 1)
    assert missing.status == 404
    await chat.say("stroke-physio", f"placement withdraw {ref}")
    assert (await ask(api, secret, ref, 1)).status == 409


async def test_concurrent_requests_for_the_last_place_leave_exactly_one_winner(
    api: TestClient, bot: PlaceBot, chat: Chat, build: Builder
) -> None:
    ref = await post_offer(chat, students=1)
    for n in range(8):
        await build.hei(f"Test HEI {n}")
    secrets = [await make_token(bot, f"Test HEI {n}") for n in range(8)]
    answers = await asyncio.gather(*(ask(api, secret, ref, 1) for secret in secrets))
    assert sorted(a.status for a in answers) == [201] + [409] * 7
    async with bot.sessions() as session:
        granted = (
            (
                await session.execute(
                    select(PlacementRequest).where(PlacementRequest.status == "pending")
                )
            )
            .scalars()
            .all()
        )
    assert [r.students for r in granted] == [1]


def test_the_fairness_rule_shares_places_by_unmet_demand_and_breaks_ties_by_lot() -> None:
    claims = [Claim(1, 2, demand=14, lot=2), Claim(2, 2, demand=6, lot=1), Claim(3, 2, 0, 0)]
    assert apportion(3, claims) == {1: 2, 2: 1, 3: 0}
    assert apportion(10, claims) == {1: 2, 2: 2, 3: 2}  # nobody gets more than they asked
    tied = [Claim(1, 1, demand=5, lot=1), Claim(2, 1, demand=5, lot=0)]
    assert apportion(1, tied) == {1: 0, 2: 1}


class TestBeforeRelease:
    """With a release delay, early requests are held and settled together at release."""

    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(database_url=database_url, placebot_release_delay_hours=24, _env_file=None)  # type: ignore[call-arg]

    async def test_held_requests_are_settled_by_unmet_demand_with_the_lot_in_the_audit(
        self, api: TestClient, bot: PlaceBot, chat: Chat, clock: FixedClock
    ) -> None:
        ref = await post_offer(chat, students=3)
        tokens = {hei: await make_token(bot, hei) for hei in (SHU, LINCOLN, NOTTINGHAM)}
        for hei, secret in tokens.items():  # the HEI without a PT block asks first
            held = await ask(api, secret, ref, 2)
            assert held.status == 201 and (await held.json())["status"] == "held", hei
        assert await status_of(api, tokens[SHU], ref) == "offered"  # nothing to see yet

        clock.at += timedelta(hours=25)
        async with bot.sessions.begin() as session:
            ctx = Context(session, None, clock, bot.settings, "system")
            assert await settle_due(ctx) == 1
        granted = {}
        for hei, secret in tokens.items():
            mine = await api.get(f"/api/v1/placements/{ref}/requests", headers=bearer(secret))
            [request] = (await mine.json())["items"]
            granted[hei] = (request["status"], request["students"])
        # Nottingham needs 14 PT places in these weeks, Lincoln 6, Sheffield Hallam none.
        assert granted == {
            NOTTINGHAM: ("pending", 2),
            LINCOLN: ("pending", 1),
            SHU: ("declined", 2),
        }
        assert await status_of(api, tokens[SHU], ref) == "requested"
        async with bot.sessions() as session:
            settled = (
                await session.execute(select(AuditEvent).where(AuditEvent.action == "offer.settle"))
            ).scalar_one()
        assert set(settled.after) >= {"seed", "lot", "demand", "granted"}
        after = await ask(api, tokens[SHU], ref, 1)
        assert after.status == 409  # first come, first served now, and no places are left
