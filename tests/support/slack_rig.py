"""The Slack rigs every Slack test shares: the settings that mount the Slack edge against the
fake Web API, the whole server under a test client, and the outbound channel alone for the outbox.

A pytest plugin (listed in tests/conftest.py): `slack_rig` and `slack_outbox_rig` are fixtures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.server import build_app
from adapters.slack.channel import SlackChannel
from bot.chat.placebot import PlaceBot
from bot.delivery.sender import Sender
from bot.kernel.clock import FixedClock
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.tables import Delivery
from tests.support import slack_wire as wire
from tests.support.chat import Chat
from tests.support.fakes.slack_api import FakeSlack

BOT_TOKEN = "xoxb-test-token"


def slack_settings(settings: Settings, slack: FakeSlack, **extra: Any) -> Settings:
    """The settings with Slack configured: signed with the wire's secret, sending to `slack`."""
    return settings.model_copy(
        update={
            "slack_signing_secret": wire.SIGNING_SECRET,
            "slack_bot_token": BOT_TOKEN,
            "slack_api_url": slack.api_url,
            **extra,
        }
    )


def slack_environment(slack: FakeSlack) -> dict[str, str]:
    """The same, as the environment of a `placebot` process."""
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": wire.SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
    }


@dataclass
class SlackRig:
    """The whole server with Slack mounted: signed requests in, the fake Web API out."""

    client: TestClient
    slack: FakeSlack
    chat: Chat

    async def post(
        self, body_and_type: tuple[str, str], headers: dict[str, str] | None = None, **extra: str
    ):
        body, content_type = body_and_type
        sent = {
            "Content-Type": content_type,
            **(wire.signed_headers(body) if headers is None else headers),
            **extra,
        }
        response = await self.client.post("/slack/events", data=body.encode(), headers=sent)
        await self.slack.acknowledged(body, response.status, await _json_or_none(response))
        return response

    async def command(self, text: str, key: str = "r1", command: str = "/placement", **kwargs: str):
        response = await self.post(
            wire.slash_command(command, text, self.slack.response_url(key), **kwargs)
        )
        assert response.status == 200
        return response


async def _json_or_none(response: Any) -> Any:
    if response.content_type != "application/json":
        return None
    return await response.json()


@asynccontextmanager
async def slack_server(
    settings: Settings, clock: FixedClock, chat: Chat, **extra: Any
) -> AsyncIterator[SlackRig]:
    """The rig with `extra` settings (for tests that need Slack configured otherwise)."""
    async with FakeSlack() as slack:
        configured = slack_settings(settings, slack, **extra)
        app = build_app(configured, make_engine(settings.database_url), clock)
        async with TestClient(TestServer(app)) as client:
            yield SlackRig(client, slack, chat)


@pytest.fixture
async def slack_rig(
    engine: AsyncEngine, settings: Settings, clock: FixedClock, chat: Chat
) -> AsyncIterator[SlackRig]:
    async with slack_server(settings, clock, chat) as rig:
        yield rig


@dataclass
class SlackOutboxRig:
    """The Slack channel alone, as the worker holds it to send, and the outbox behind it."""

    slack: FakeSlack
    edge: SlackChannel
    bot: PlaceBot
    engine: AsyncEngine
    clock: FixedClock

    def sender(self, **kwargs: object) -> Sender:
        return Sender(self.bot.sessions, {"slack": self.edge}, self.clock, **kwargs)  # type: ignore[arg-type]

    async def rows(self) -> list[Delivery]:
        async with self.bot.sessions() as session:
            return list((await session.execute(select(Delivery).order_by(Delivery.id))).scalars())


@asynccontextmanager
async def slack_outbox(
    slack: FakeSlack, engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> AsyncIterator[SlackOutboxRig]:
    """The Slack channel on `slack` (for tests that need a fake with other limits)."""
    configured = slack_settings(settings, slack)
    bot = PlaceBot(make_sessionmaker(engine), configured, clock)
    edge = SlackChannel(bot.sessions, configured)
    try:
        yield SlackOutboxRig(slack, edge, bot, engine, clock)
    finally:
        await edge.close()


@pytest.fixture
async def slack_outbox_rig(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> AsyncIterator[SlackOutboxRig]:
    async with FakeSlack() as slack, slack_outbox(slack, engine, settings, clock) as rig:
        yield rig


def slack_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The button elements of a Block Kit message, in order."""
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def slack_button(message: dict[str, Any], label: str) -> dict[str, Any]:
    return next(e for e in slack_buttons(message) if e["text"]["text"] == label)


async def yes_withdraw(rig: SlackRig, message: dict[str, Any]) -> dict[str, Any]:
    """Press the message's Withdraw (which asks first) and return the answer's Yes, withdraw."""
    withdraw = slack_button(message, "Withdraw")
    pressed = wire.block_action(
        withdraw["action_id"], withdraw["value"], rig.slack.response_url("asking")
    )
    assert (await rig.post(pressed)).status == 200
    [asking] = await rig.slack.wait_for("response:asking")
    return slack_button(asking.body, "Yes, withdraw")
