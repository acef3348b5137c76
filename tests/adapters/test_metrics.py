"""`GET /metrics`: absent without a token, 401 with a wrong one; with the right one, requests
by edge and status, the outbox's depth read from the database, and what the core counted (a
delivery sent)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from adapters.localchat.channel import LocalChannel
from adapters.server import build_app
from bot.chat.inbox import CommandInbox
from bot.chat.placebot import PlaceBot
from bot.delivery.queue import enqueue
from bot.delivery.sender import Sender
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Reply
from config.settings import Settings
from storage.engine import make_engine
from storage.tables import Person

TOKEN = "metrics-secret-for-tests"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, placebot_metrics_token=TOKEN, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
async def server(bot: PlaceBot, settings: Settings, clock: FixedClock) -> AsyncIterator[TestClient]:
    app = build_app(settings, make_engine(settings.database_url), clock)
    async with TestClient(TestServer(app)) as client:
        yield client


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_need_the_token(server: TestClient) -> None:
    assert (await server.get("/metrics")).status == 401
    wrong = await server.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401


async def test_no_token_set_means_no_metrics_page(
    bot: PlaceBot, database_url: str, clock: FixedClock
) -> None:
    settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    app = build_app(settings, make_engine(database_url), clock)
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/metrics", headers={"Authorization": "Bearer "})).status == 404


async def test_requests_outbox_depth_and_deliveries_are_shown(
    server: TestClient, bot: PlaceBot, clock: FixedClock
) -> None:
    assert (await server.get("/healthz")).status == 200
    assert (await server.get("/api/v1/placements")).status == 401
    async with bot.sessions.begin() as session:
        person = (await session.scalars(select(Person.id).limit(2))).all()
        for n, someone in enumerate(person):
            await enqueue(session, someone, "local", Reply(text="hello"), f"m:{n}", clock.now())
    commands = CommandInbox(bot.sessions, clock, "slack")
    await commands.keep([("slack:command:a", {}), ("slack:command:b", {})])
    sender = Sender(bot.sessions, {"local": LocalChannel(bot.sessions)}, clock, batch=1)
    assert (await sender.run_once()).sent == 1
    answer = await server.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status == 200
    assert answer.content_type == "text/plain"
    found = samples(await answer.text())
    assert found[("placebot_requests_total", (("edge", "health"), ("status", "200")))] == 1
    assert found[("placebot_requests_total", (("edge", "api"), ("status", "401")))] == 1
    assert found[("placebot_outbox_depth", (("channel", "local"), ("status", "pending")))] == 1
    assert found[("placebot_outbox_depth", (("channel", "local"), ("status", "sent")))] == 1
    waiting = ("placebot_command_inbox_depth", (("edge", "slack"), ("state", "waiting")))
    assert found[waiting] == 2
    sent = ("placebot_deliveries_total", (("channel", "local"), ("outcome", "sent")))
    assert found[sent] == 1
    assert ("placebot_acknowledgement_seconds_count", (("edge", "health"),)) in found
    assert any(name == "placebot_db_pool_connections" for name, _ in found)
