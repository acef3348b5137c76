"""Schemathesis drives the live server from its own OpenAPI document, on SQLite and PostgreSQL:
no server error, and every response keeps to the schema."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from adapters.register_api.openapi import document
from adapters.server import build_app
from bot import demo
from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from bot.register.records import PLACEMENT_FIELDS
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from tests.conftest import NOW, make_token
from tests.support.chat import Chat

ROOT = Path(__file__).parents[3]
FUZZ_SETTINGS = {  # no rate limit: schemathesis calls fast, and without a token on purpose
    "placebot_api_rate_per_minute": 1_000_000,
    "placebot_api_feed_rate_per_minute": 1_000_000,
    "placebot_api_auth_failures_per_minute": 1_000_000,
}


async def _prepare(fuzz: Settings, clock: FixedClock) -> str:
    """Demo data, a few offers, and an HEI token; the engine is closed again after."""
    engine = make_engine(fuzz.database_url)
    try:
        sessions = make_sessionmaker(engine)
        async with sessions.begin() as session:
            await demo.load(session, clock, fuzz)
        bot = PlaceBot(sessions, fuzz, clock)
        chat = Chat(bot)
        for line in (
            "PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab notes =1+1",
            "OT 3 May - 11 Jun 2027 1 student at Highbury Hospital",
        ):
            await chat.say("stroke-physio", f"placement offer {line}")
        return await make_token(bot, "University of Nottingham")
    finally:
        await engine.dispose()


@pytest.fixture
def live_api(settings: Settings) -> Iterator[tuple[str, str]]:
    """The whole server on a real port in its own thread, as a client sees it."""
    fuzz = settings.model_copy(update=FUZZ_SETTINGS)
    clock = FixedClock(at=NOW)
    secret = asyncio.run(_prepare(fuzz, clock))
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, object] = {}

    async def start() -> None:
        runner = web.AppRunner(build_app(fuzz, make_engine(fuzz.database_url), clock))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        holder["runner"] = runner
        holder["port"] = runner.addresses[0][1]
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    started.wait(30)
    yield f"http://127.0.0.1:{holder['port']}", secret
    runner = holder["runner"]
    assert isinstance(runner, web.AppRunner)
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_the_server_keeps_to_its_openapi_document(
    live_api: tuple[str, str], tmp_path: Path
) -> None:
    """Schemathesis's own command line with every check it has (`--checks all`), positive and
    negative data, a bounded number of examples per operation and a fixed seed."""
    base_url, secret = live_api
    ran = subprocess.run(  # the CLI sits beside the interpreter in the venv
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "--config-file",
            str(Path(__file__).with_name("schemathesis.toml")),
            "run",
            f"{base_url}/api/v1/openapi.json",
            "--url",
            base_url,
            "--checks",
            "all",
            "--mode",
            "all",
            "--max-examples",
            "25",
            "--seed",
            "14",
            "--workers",
            "1",
            "--generation-allow-x00",
            "false",  # the API refuses NUL in any text, as no database column stores it
            "--header",
            f"Authorization: Bearer {secret}",
        ],
        cwd=tmp_path,  # its cache of past failures stays out of the repository and this run
        env={
            **os.environ,
            "SCHEMATHESIS_HOOKS": "tests.support.schemathesis_hooks",
            "PYTHONPATH": str(ROOT),
        },
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    said = "\n".join(line[:400] for line in (ran.stdout + ran.stderr).splitlines())
    assert ran.returncode == 0, said
    generated = re.search(r"(\d+) generated", ran.stdout)
    assert generated is not None and int(generated.group(1)) >= 500, said
    print(said[-600:])  # the case counts, shown with `pytest -rP`


def test_the_document_is_openapi_3_1_and_names_every_placement_field(settings: Settings) -> None:
    described = document(settings)
    assert described["openapi"] == "3.1.0"
    fields = described["components"]["schemas"]["Placement"]["properties"]
    assert tuple(fields) == PLACEMENT_FIELDS
