"""Fixtures: a real database per test (SQLite and PostgreSQL), a fixed clock, a chat harness,
a data builder and an inbox. What they are built from lives in tests/support/.

`chat.say("stroke-physio", "placement mine")` speaks as a demo person and returns the Reply;
`build.offer(...)` writes a row as it stands at a moment; `await inbox.run("nudges")` runs a job
and delivers, and `inbox.of(person)` is what reached them. The Slack and Teams rigs
(`slack_rig`, `slack_outbox_rig`, `teams_rig`) and the nudge tests' `faculty` are plugins.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import demo
from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.tables import Base
from tests.support.builder import Builder
from tests.support.chat import Chat
from tests.support.inbox import Inbox

pytest_plugins = ["tests.support.slack_rig", "tests.support.teams_rig", "tests.support.faculty"]

POSTGRES_ADMIN_URL = os.environ.get(
    "PLACEBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI") == "true"
# A Monday morning in term, so tests never depend on the day they run.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def missing_system_part(message: str) -> None:
    """In CI a missing part fails the run; on a developer's machine the test skips, saying why."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "placebot.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


async def _admin(statement: str) -> None:
    engine = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh migrated database on the local PostgreSQL for this test session, dropped after."""
    name = f"placebot_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, ConnectionError) as error:
        missing_system_part(f"PostgreSQL not reachable at 127.0.0.1:5432 ({error})")
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    asyncio.run(_migrate(url))
    yield url
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def truncate_all(url: str) -> None:
    engine = make_engine(url)
    try:
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """An empty, migrated database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "placebot.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    asyncio.run(truncate_all(url))
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of each kind with no tables at all, for tests that begin with `placebot
    migrate`; the PostgreSQL one is made for the test and dropped after it."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    with fresh_postgres_database("placebot_empty") as url:
        yield url


@contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[str]:
    """An empty PostgreSQL database of its own for one test, dropped after it."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, ConnectionError) as error:
        missing_system_part(f"PostgreSQL not reachable at 127.0.0.1:5432 ({error})")
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(at=NOW)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
async def bot(engine: AsyncEngine, settings: Settings, clock: FixedClock) -> PlaceBot:
    """The bot with the demo data loaded: organisations, people, blocks, training."""
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as session:
        await demo.load(session, clock, settings)
    return PlaceBot(sessions, settings, clock)


@pytest.fixture
def chat(bot: PlaceBot) -> Chat:
    return Chat(bot)


@pytest.fixture
def build(engine: AsyncEngine) -> Builder:
    """Rows straight into the test's database, stamped long ago (see Builder)."""
    return Builder(make_sessionmaker(engine))


@pytest.fixture
def inbox(engine: AsyncEngine, settings: Settings, clock: FixedClock) -> Inbox:
    """What each person received once the jobs ran and the outbox delivered (see Inbox)."""
    return Inbox(make_sessionmaker(engine), clock, settings)


# The register API for HEIs: a test client on the whole server, and tokens made as the CLI does.


@pytest.fixture
async def api(bot: PlaceBot, settings: Settings, clock: FixedClock) -> AsyncIterator[object]:
    """The server (with the demo data of `bot`) under a test client, on the same clock."""
    from aiohttp.test_utils import TestClient, TestServer

    from adapters.server import build_app

    app = build_app(settings, make_engine(settings.database_url), clock)
    async with TestClient(TestServer(app)) as client:
        yield client


async def make_token(bot: PlaceBot, hei: str) -> str:
    """A new API token for the HEI, as `placebot token create --hei` makes it."""
    from bot.kernel.context import Context
    from bot.register import tokens

    async with bot.sessions.begin() as session:
        ctx = Context(session, None, bot.clock, bot.settings, "cli")
        _token, secret = await tokens.create_token(ctx, hei)
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
