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


def teams_settings(settings: Settings, connector: FakeConnector, **extra: Any) -> Settings:
    """The settings with the Teams edge getting its tokens from the fake connector."""
    return settings.model_copy(update={"microsoft_token_url": connector.token_url, **extra})


@dataclass
class TeamsRig:
    client: TestClient
    connector: FakeConnector
    chat: Chat

    async def post(self, activity: dict[str, Any], authorization: str | None = None):
        headers = {"Authorization": authorization} if authorization is not None else {}
        return await self.client.post("/api/messages", json=activity, headers=headers)

    async def say(self, text: str, **kwargs: Any) -> dict[str, Any]:
        before = len(self.connector.sent)
        response = await self.post(wire.message(self.connector.service_url, text, **kwargs))
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
