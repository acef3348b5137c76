"""The Bot Framework's signing keys: fetched off the event loop, with a timeout, ahead of expiry.

The fake key endpoint runs in its own thread and can hold its answers; each test asserts what
the server did while the endpoint was still holding, never how fast it was.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from botframework.connector.auth import AuthenticationConstants, JwtTokenExtractor
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.server import build_app
from adapters.teams import signing_keys
from adapters.teams.app import TEAMS_EDGE
from adapters.teams.signing_keys import KeyCache, OpenIdKeys
from bot.kernel.clock import FixedClock
from config.settings import Settings
from storage.engine import make_engine
from storage.tables import Person, PlacementOffer
from tests.support import teams_wire as wire
from tests.support.chat import Chat
from tests.support.fakes.bot_connector import FakeConnector
from tests.support.fakes.bot_framework_keys import BotFrameworkKeys
from tests.support.teams_rig import teams_settings

APP_ID = "c9e8c047-2a74-40a2-b28a-b162d5f5327c"
OFFER = "placement offer OT 1 Feb - 12 Mar 2027 2 students at Bassetlaw Hospital"


@dataclass
class SignedServer:
    """The server with an app id, its key cache, the fake key endpoint and the fake connector."""

    client: TestClient
    keys: BotFrameworkKeys
    connector: FakeConnector
    cache: KeyCache
    _tokens: itertools.count[int] = field(default_factory=itertools.count)

    def token(self, key_id: str | None = None) -> str:
        """A new token each time (the edge accepts a token it has seen without checking it)."""
        return self.keys.authorization(
            APP_ID, self.connector.service_url, key_id, jti=str(next(self._tokens))
        )

    async def post(self, text: str, token: str | None = None) -> ClientResponse:
        activity = wire.message(self.connector.service_url, text)
        headers = {"Authorization": token or self.token()}
        return await self.client.post("/api/messages", json=activity, headers=headers)

    def known_key_ids(self) -> set[str]:
        return set(self.cache.get(self.keys.metadata_url).keys)


@asynccontextmanager
async def signed_server(
    settings: Settings, clock: FixedClock, keys: BotFrameworkKeys, **timings: float
) -> AsyncIterator[SignedServer]:
    """`timings` shorten the cache's own (`timeout`, `check_every`) before the server starts."""
    async with FakeConnector() as connector:
        configured = teams_settings(
            settings,
            connector,
            microsoft_app_id=APP_ID,
            microsoft_app_password="secret",
            microsoft_openid_metadata_url=keys.metadata_url,
        )
        app = build_app(configured, make_engine(settings.database_url), clock)
        cache = app[TEAMS_EDGE].signing_keys
        assert cache is not None
        for name, value in timings.items():
            setattr(cache, name, value)
        async with TestClient(TestServer(app)) as client:
            yield SignedServer(client, keys, connector, cache)


async def until(condition: Callable[[], bool]) -> None:
    """Until `condition` holds of the server's own state (it has no event to wait on)."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 (a poll: the server's state has no event)
            await asyncio.sleep(0.01)


async def test_while_the_key_endpoint_is_slow_other_requests_are_answered(
    engine: AsyncEngine, settings: Settings, clock: FixedClock, chat: Chat
) -> None:
    with BotFrameworkKeys() as keys:
        keys.hold()
        async with signed_server(settings, clock, keys) as server:
            teams = asyncio.create_task(server.post(OFFER))
            await keys.wait_until(lambda: keys.held >= 1)  # a fetch is being held
            health = await server.client.get("/healthz")
            training = await server.client.get("/api/v1/training")
            assert (health.status, training.status) == (200, 200)
            assert keys.waiting == 1 and keys.served == 0  # answered while the keys were held
            assert not teams.done()  # the Teams request waits for the keys it needs
            keys.release()
            assert (await teams).status == 200
            [reply] = await server.connector.wait_for(1)
        assert "in the register" in reply.body["text"]
        assert keys.served == 1  # the waiting request shared the fetch the server started
        assert await chat.count(PlacementOffer) == 1


@pytest.mark.parametrize("endpoint", ["never answers", "answers 500", "lists no keys"])
async def test_a_key_endpoint_that_fails_makes_the_teams_request_503_and_changes_nothing(
    engine: AsyncEngine, settings: Settings, clock: FixedClock, chat: Chat, endpoint: str
) -> None:
    with BotFrameworkKeys() as keys:
        if endpoint == "never answers":
            keys.hold()
        keys.failing = endpoint == "answers 500"
        keys.listing = endpoint != "lists no keys"
        people = await chat.count(Person)
        async with signed_server(settings, clock, keys, timeout=0.3) as server:
            response = await server.post(OFFER)
            assert response.status == 503  # the token was not refused: it could not be checked
            assert response.headers["Retry-After"] == "5"
            if endpoint == "never answers":
                assert keys.waiting >= 1  # given up on the timeout, the fetch still held
            assert (await server.client.get("/healthz")).status == 200
            await asyncio.sleep(0.2)
            assert await chat.count(PlacementOffer) == 0
            assert await chat.count(Person) == people
            assert server.connector.sent == []
            assert server.known_key_ids() == set()


async def test_a_fetch_that_lands_after_its_request_gave_up_serves_the_next_request(
    engine: AsyncEngine, settings: Settings, clock: FixedClock, chat: Chat
) -> None:
    with BotFrameworkKeys() as keys:
        keys.hold()
        async with signed_server(settings, clock, keys, timeout=0.3) as server:
            assert (await server.post("placement help")).status == 503
            keys.release()
            await until(lambda: server.known_key_ids() == {keys.key_id})
            assert (await server.post(OFFER)).status == 200
            await server.connector.wait_for(1)
        assert keys.served == 1
        assert await chat.count(PlacementOffer) == 1


async def test_keys_are_refreshed_ahead_of_expiry_without_a_request_waiting(
    engine: AsyncEngine, settings: Settings, clock: FixedClock, chat: Chat
) -> None:
    with BotFrameworkKeys() as keys:
        async with signed_server(settings, clock, keys, check_every=0.01) as server:
            old_key = keys.key_id
            await until(lambda: server.known_key_ids() == {old_key})  # fetched at the start
            new_key = keys.rotate()
            keys.hold()
            clock.at += timedelta(hours=23, minutes=1)  # an hour before the keys are a day old
            await keys.wait_until(lambda: keys.waiting == 1)  # the refresher's fetch, held
            assert (await server.post("placement help", server.token(old_key))).status == 200
            assert keys.waiting == 1  # answered with the keys in hand, the refresh still held
            keys.release()
            await until(lambda: server.known_key_ids() == {old_key, new_key})
            keys.hold()  # a request that fetched now would be held, and seen
            assert (await server.post("placement help", server.token(new_key))).status == 200
            assert (keys.waiting, keys.served) == (0, 2)
            await server.connector.wait_for(2)


async def test_an_unknown_key_is_fetched_for_at_most_once_an_hour(
    engine: AsyncEngine, settings: Settings, clock: FixedClock, chat: Chat
) -> None:
    with BotFrameworkKeys() as keys:
        async with signed_server(settings, clock, keys) as server:
            first_key = keys.key_id
            await until(lambda: server.known_key_ids() == {first_key})
            new_key = keys.rotate()
            assert (await server.post("placement help", server.token(new_key))).status == 401
            assert keys.served == 1  # fetched minutes ago: not fetched again for a stranger
            clock.at += timedelta(minutes=61)
            assert (await server.post("placement help", server.token(new_key))).status == 200
            assert keys.served == 2  # this request needed a fresh key, and waited for it
            await server.connector.wait_for(1)


def test_every_metadata_url_botbuilder_asks_for_is_served_off_the_event_loop(
    clock: FixedClock,
) -> None:
    """An unsigned token naming the emulator's issuer makes botbuilder look up the emulator's
    keys: that look-up is ours too, never botbuilder's blocking fetcher."""
    saved: Any = JwtTokenExtractor.metadataCache
    try:
        cache = signing_keys.install(clock)
        emulator = JwtTokenExtractor.get_open_id_metadata(
            AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
        )
        assert isinstance(emulator, OpenIdKeys) and emulator.cache is cache
    finally:
        JwtTokenExtractor.metadataCache = saved
