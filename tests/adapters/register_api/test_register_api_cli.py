"""`placebot token create/list/revoke`, and the register's housekeeping (settle, expire)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from adapters import cli
from bot import demo
from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from bot.kernel.context import Context
from bot.register import tokens
from bot.requests.expiry import expire_started
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.tables import ApiToken, AuditEvent
from tests.conftest import NOW, bearer
from tests.support.chat import Chat, fact


async def _load_demo(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    async with make_sessionmaker(engine).begin() as session:
        await demo.load(session, FixedClock(at=NOW), settings)
    await engine.dispose()


def test_a_token_is_printed_once_listed_without_its_secret_and_revoked(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_load_demo(settings))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert cli.main(["token", "create", "--hei", "10007151", "--label", "nightly sync"]) == 0
    printed = capsys.readouterr().out
    secret = printed.strip().splitlines()[-1]
    assert secret.startswith(tokens.PREFIX) and "nightly sync" in printed
    assert cli.main(["token", "list"]) == 0
    listed = capsys.readouterr().out
    assert "University of Lincoln" in listed and "active" in listed and secret not in listed

    async def stored() -> tuple[ApiToken, list[AuditEvent]]:
        engine = make_engine(settings.database_url)
        async with make_sessionmaker(engine)() as session:
            token = (await session.execute(select(ApiToken))).scalar_one()
            events = list((await session.execute(select(AuditEvent))).scalars())
        await engine.dispose()
        return token, events

    token, events = asyncio.run(stored())
    assert token.token_hash == tokens.hash_token(secret)
    assert secret not in str([(e.before, e.after) for e in events])
    assert cli.main(["token", "revoke", str(token.id)]) == 0
    assert "revoked" in capsys.readouterr().out
    assert cli.main(["token", "revoke", "999"]) == 1
    assert cli.main(["token", "create", "--hei", "Hogwarts"]) == 1
    assert "no HEI" in capsys.readouterr().err


async def test_an_unconfirmed_offer_expires_when_it_starts_and_sync_sees_it(
    api: TestClient, bot: PlaceBot, chat: Chat, clock: FixedClock
) -> None:
    posted = await chat.say(
        "stroke-physio", "placement offer PT 7 Dec - 18 Dec 2026 1 student at Stroke Rehab"
    )
    ref = fact(posted, "Reference")
    async with bot.sessions.begin() as session:
        ctx = Context(session, None, clock, bot.settings, "cli")
        _token, secret = await tokens.create_token(ctx, "University of Lincoln")
    first = await (await api.get("/api/v1/placements", headers=bearer(secret))).json()
    clock.at += timedelta(days=15)
    async with bot.sessions.begin() as session:
        ctx = Context(session, None, clock, bot.settings, "system")
        assert await expire_started(ctx) == [ref]
        assert await expire_started(ctx) == []
    changed = await api.get(
        "/api/v1/placements",
        params={"updated_since": first["next_updated_since"]},
        headers=bearer(secret),
    )
    assert [(r["ref"], r["status"]) for r in (await changed.json())["items"]] == [(ref, "expired")]
