"""An answer that went while the database is away: the bot does not raise (a background job
would log a traceback per answer) and the outage is logged once, however many answers went."""

from __future__ import annotations

import logging
import socket

import pytest

from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from tests.conftest import NOW


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the probe is


async def test_answers_marked_while_the_database_is_away_are_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/away"
    engine = make_engine(url)
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    bot = PlaceBot(make_sessionmaker(engine), settings, FixedClock(at=NOW))
    try:
        with caplog.at_level(logging.WARNING):
            for n in range(5):
                await bot.answers.given(f"slack:command:{n}")
    finally:
        await engine.dispose()
    failing = [r for r in caplog.records if "database failing" in r.getMessage()]
    assert len(failing) == 1
    assert not [
        r for r in caplog.records if r.exc_info and "database failing" not in r.getMessage()
    ]
