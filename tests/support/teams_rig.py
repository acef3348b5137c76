"""The Teams rig every Teams test shares: the server with the Teams edge mounted, activities in
Teams' wire format into /api/messages, and the fake Bot Connector that receives the answers.

A pytest plugin (listed in tests/conftest.py): `teams_rig` is a fixture.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.server import build_app
from bot.kernel.clock import FixedClock
from config.settings import Settings
from storage.engine import make_engine
from tests.support import teams_wire as wire
from tests.support.chat import Chat
from tests.support.fakes.bot_connector import FakeConnector
from tests.support.fakes.bot_framework_keys import BotFrameworkKeys


def teams_settings(settings: Settings, connector: FakeConnector, **extra: Any) -> Settings:
    """The settings with the Teams edge getting its tokens from the fake connector."""
    return settings.model_copy(update={"microsoft_token_url": connector.token_url, **extra})


@dataclass
class TeamsRig:
    client: TestClient
    connector: FakeConnector
    chat: Chat
    keys: BotFrameworkKeys | None = None  # set: the bot has an app id and checks tokens

    async def post(self, activity: dict[str, Any], authorization: str | None = None):
        headers = {"Authorization": authorization} if authorization is not None else {}
        return await self.client.post("/api/messages", json=activity, headers=headers)

    def token(self, service_url: str | None = None, **claims: Any) -> str | None:
        """The channel's token for the bot's app id (None when the bot checks none)."""
        if self.keys is None:
            return None
        return self.keys.authorization(
            wire.APP_ID, service_url or self.connector.service_url, **claims
        )

    async def say(self, text: str, **kwargs: Any) -> dict[str, Any]:
        before = len(self.connector.sent)
        response = await self.post(
            wire.message(self.connector.service_url, text, **kwargs), self.token()
        )
        assert response.status == 200
        sent = await self.connector.wait_for(before + 1)
        return sent[before].body

    def card(self, body: dict[str, Any]) -> dict[str, Any]:
        [attachment] = body["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        return attachment["content"]


@asynccontextmanager
async def teams_server(
    settings: Settings, clock: FixedClock, chat: Chat, **extra: Any
) -> AsyncIterator[TeamsRig]:
    """The rig with `extra` settings (for tests that need Teams configured otherwise)."""
    async with FakeConnector() as connector:
        configured = teams_settings(
            settings, connector, placebot_teams_allow_unauthenticated="1", **extra
        )
        app = build_app(configured, make_engine(settings.database_url), clock)
        async with TestClient(TestServer(app)) as client:
            yield TeamsRig(client, connector, chat)


@asynccontextmanager
async def signed_teams_server(
    settings: Settings, clock: FixedClock, chat: Chat, keys: BotFrameworkKeys, **extra: Any
) -> AsyncIterator[TeamsRig]:
    """The rig with an app id: every activity needs a channel's token signed with `keys`."""
    async with FakeConnector() as connector:
        configured = teams_settings(
            settings,
            connector,
            microsoft_app_id=wire.APP_ID,
            microsoft_app_password="secret",
            microsoft_openid_metadata_url=keys.metadata_url,
            **extra,
        )
        app = build_app(configured, make_engine(settings.database_url), clock)
        async with TestClient(TestServer(app)) as client:
            yield TeamsRig(client, connector, chat, keys)


@pytest.fixture
async def teams_rig(
    engine: AsyncEngine, settings: Settings, clock: FixedClock, chat: Chat
) -> AsyncIterator[TeamsRig]:
    async with teams_server(settings, clock, chat) as rig:
        yield rig


def actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every action of an Adaptive Card, its own and those in action sets, in order."""
    found = list(card.get("actions", []))
    for element in card["body"]:
        if element["type"] == "ActionSet":
            found += element["actions"]
        for inner in element.get("items", []):
            if inner["type"] == "ActionSet":
                found += inner["actions"]
    return found
