"""Rate limits on the register API: an address guessing tokens is stopped (429 with Retry-After)
before its next guess is even checked, whichever token it then sends; other addresses carry on;
the public training feed is limited per address, generously."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.server import build_app
from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from bot.register.tokens import PREFIX
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.tables import ApiToken, PlacementBlock
from tests.conftest import bearer, make_token

FAILURES = 3
FEED = 5
WRONG = bearer(f"{PREFIX}not-a-real-token")
BLOCK = {
    "profession": "PT",
    "cohort": "PT year 2 block 2",
    "start_date": "2027-01-13",
    "end_date": "2027-02-21",
    "students": 12,
    "offers_close": "2026-12-01",
}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        placebot_api_auth_failures_per_minute=FAILURES,
        placebot_api_feed_rate_per_minute=FEED,
        _env_file=None,
    )  # type: ignore[call-arg]


@pytest.fixture
async def api(bot: PlaceBot, settings: Settings, clock: FixedClock) -> AsyncIterator[TestClient]:
    app = build_app(settings, make_engine(settings.database_url), clock)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


@pytest.fixture
async def elsewhere(api: TestClient) -> AsyncIterator[aiohttp.ClientSession]:
    """A client from another address (127.0.0.2: all of 127/8 is this machine)."""
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
    async with aiohttp.ClientSession(str(api.make_url("/")), connector=connector) as session:
        yield session


async def count(engine: AsyncEngine, table: type[PlacementBlock]) -> int:
    async with make_sessionmaker(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def last_used(engine: AsyncEngine) -> list[object]:
    async with make_sessionmaker(engine)() as session:
        return list((await session.scalars(select(ApiToken.last_used_at))).all())


async def test_failed_authentications_from_one_address_get_429_then_even_a_good_token_is_unchecked(
    api: TestClient, bot: PlaceBot, engine: AsyncEngine
) -> None:
    """The finding: bad tokens were never rate-limited, since authentication ran first."""
    good = await make_token(bot, "University of Nottingham")
    refused = [
        (await api.get("/api/v1/placements", headers=headers)).status
        for headers in (WRONG, {}, {"Authorization": "Basic abc"})
    ]
    assert refused == [401] * FAILURES
    limited = await api.get("/api/v1/placements", headers=WRONG)
    assert limited.status == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "failed sign-ins" in (await limited.json())["error"]
    held = await api.post("/api/v1/blocks", json=BLOCK, headers=bearer(good))
    assert held.status == 429  # the token is not looked at while the address is over
    assert await count(engine, PlacementBlock) == 3  # the demo's blocks only
    assert await last_used(engine) == [None]


async def test_another_address_is_not_held_back_by_one_guessing(
    api: TestClient, bot: PlaceBot, engine: AsyncEngine, elsewhere: aiohttp.ClientSession
) -> None:
    good = await make_token(bot, "University of Nottingham")
    for _ in range(FAILURES + 2):
        await api.get("/api/v1/placements", headers=WRONG)
    assert (await api.get("/api/v1/placements", headers=WRONG)).status == 429
    async with elsewhere.post("/api/v1/blocks", json=BLOCK, headers=bearer(good)) as created:
        assert created.status == 201
    async with elsewhere.get("/api/v1/placements", headers=WRONG) as wrong:
        assert wrong.status == 401  # its own failures are its own
    assert await count(engine, PlacementBlock) == 4


async def test_successful_calls_do_not_use_up_the_failures_allowed(
    api: TestClient, bot: PlaceBot
) -> None:
    good = await make_token(bot, "University of Nottingham")
    for _ in range(10):
        assert (await api.get("/api/v1/placements", headers=bearer(good))).status == 200
    answers = [(await api.get("/api/v1/placements", headers=WRONG)).status for _ in range(FAILURES)]
    assert answers == [401] * FAILURES


async def test_the_public_feed_is_limited_per_address(
    api: TestClient, elsewhere: aiohttp.ClientSession
) -> None:
    for _ in range(FEED):
        assert (await api.get("/api/v1/training.ics")).status == 200
    limited = await api.get("/api/v1/training")
    assert limited.status == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    async with elsewhere.get("/api/v1/training.ics") as other:
        assert other.status == 200


async def test_the_default_feed_limit_is_generous(
    bot: PlaceBot, database_url: str, clock: FixedClock
) -> None:
    """A faculty's calendar apps may all poll from one address: more than a token's minute."""
    defaults = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    assert defaults.placebot_api_feed_rate_per_minute > defaults.placebot_api_rate_per_minute
    app = build_app(defaults, make_engine(database_url), clock)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        for _ in range(defaults.placebot_api_rate_per_minute + 10):
            assert (await client.get("/api/v1/training")).status == 200
