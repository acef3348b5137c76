"""The local chat's inbox: what the outbox delivered to a local person, for the page to show."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.localchat.channel import LocalChannel
from adapters.server import build_app
from bot.chat.placebot import PlaceBot
from bot.delivery import queue as outbox
from bot.delivery import sender as sending
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Button, Image, Reply
from config.settings import Settings
from storage.engine import make_engine

STROKE_PHYSIO, WARD12_PHYSIO = 1, 2
CHART = Image("Offers against targets", "PT: 12 of 39", base64.b64encode(b"\x89PNG").decode())


@pytest.fixture
async def client(bot: PlaceBot, settings: Settings, clock: FixedClock) -> AsyncIterator[TestClient]:
    app = build_app(
        settings.model_copy(update={"placebot_local_chat": True}),
        make_engine(settings.database_url),
        clock,
    )
    async with TestClient(TestServer(app)) as client:
        yield client


async def deliver(bot: PlaceBot, clock: FixedClock) -> None:
    """What the worker's sender does, on the test's clock."""
    await sending.Sender(bot.sessions, {"local": LocalChannel(bot.sessions)}, clock).run_once()


async def queue(
    bot: PlaceBot, clock: FixedClock, person: int, text: str, later: timedelta | None = None
) -> None:
    reply = Reply(text=text, buttons=(Button("Snooze", "nudges.snooze", "2w"),), image=CHART)
    async with bot.sessions.begin() as session:
        not_before = clock.now() + later if later else None
        await outbox.enqueue(session, person, "local", reply, f"t:{text}", clock.now(), not_before)


async def inbox(client: TestClient, query: str) -> list[dict]:
    response = await client.get(f"/local/inbox?{query}")
    assert response.status == 200
    return (await response.json())["messages"]


async def test_the_inbox_holds_what_was_sent_to_the_person_in_the_order_it_was_sent(
    client: TestClient, bot: PlaceBot, clock: FixedClock
) -> None:
    await queue(bot, clock, STROKE_PHYSIO, "Held until working hours", later=timedelta(hours=1))
    await queue(bot, clock, STROKE_PHYSIO, "Sent at once")
    await queue(bot, clock, WARD12_PHYSIO, "Someone else's")
    await queue(bot, clock, STROKE_PHYSIO, "Not sent yet", later=timedelta(days=1))
    await deliver(bot, clock)

    [first] = await inbox(client, "user=stroke-physio")
    assert first["reply"]["text"] == "Sent at once"
    assert first["reply"]["image"]["alt"] == "PT: 12 of 39"
    assert first["reply"]["buttons"][0]["action"] == "nudges.snooze"
    assert first["sent_at"].startswith("2026-11-23T10:00")
    assert await inbox(client, f"user=stroke-physio&after={first['id']}") == []

    clock.at += timedelta(hours=1)
    await deliver(bot, clock)
    [held] = await inbox(client, f"user=stroke-physio&after={first['id']}")
    assert held["reply"]["text"] == "Held until working hours"
    assert held["id"] < first["id"]  # queued earlier, sent later: still found after `first`
    texts = [m["reply"]["text"] for m in await inbox(client, "user=stroke-physio")]
    assert texts == ["Sent at once", "Held until working hours"]  # newest last


async def test_a_message_sent_just_before_the_last_seen_comes_again_for_the_page_to_skip(
    client: TestClient, bot: PlaceBot, clock: FixedClock
) -> None:
    await queue(bot, clock, STROKE_PHYSIO, "One")
    await deliver(bot, clock)
    clock.at += timedelta(seconds=10)
    await queue(bot, clock, STROKE_PHYSIO, "Two")
    await deliver(bot, clock)
    one, two = await inbox(client, "user=stroke-physio")
    assert [
        m["reply"]["text"] for m in await inbox(client, f"user=stroke-physio&after={two['id']}")
    ] == ["One"]
    assert one["reply"]["text"] == "One"


async def test_someone_the_bot_has_not_met_has_an_empty_inbox(client: TestClient) -> None:
    assert await inbox(client, "user=new-jo-bloggs") == []


@pytest.mark.parametrize("query", ["", "user=", "user=stroke-physio&after=x", "user=a&after=-1"])
async def test_a_malformed_inbox_request_is_refused_politely(
    client: TestClient, query: str
) -> None:
    response = await client.get(f"/local/inbox?{query}")
    assert response.status == 400
    assert "e.g." in await response.text()


async def test_each_message_is_labelled_for_what_it_is(
    client: TestClient, bot: PlaceBot, clock: FixedClock
) -> None:
    keys = ("nudge:1:2026-11-23", "digest:4:1:2026-W48", "summary:1:2026-W48", "test:1")
    async with bot.sessions.begin() as session:
        for key in keys:
            await outbox.enqueue(session, STROKE_PHYSIO, "local", Reply(text=key), key, clock.now())
    await deliver(bot, clock)
    found = {m["reply"]["text"]: m["label"] for m in await inbox(client, "user=stroke-physio")}
    assert found == {
        "nudge:1:2026-11-23": "Reminder",
        "digest:4:1:2026-W48": "Digest",
        "summary:1:2026-W48": "Weekly summary",
        "test:1": "Message",
    }
