"""An acknowledgement is a promise, as Slack does not retry what it got a 200 for: a real
`placebot serve` process stores each signed slash command before its 200, either its work
(the body is then the answer) or, in a burst, the command itself in the inbox (the answer goes
to the response_url). Killed with SIGKILL in the middle of a burst of 100, it has stored
every command it acknowledged one way or the other; so has one stopped with SIGTERM (which
refuses new requests, finishes those in hand and gives back the inbox's unworked rows).
Restarted, it works the inbox, and the rest, retried by Slack (same trigger id,
X-Slack-Retry-Num), are stored once each and answered. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from storage.engine import make_engine
from storage.tables import InboundCommand, PlacementOffer
from tests.support import slack_wire as wire
from tests.support.fakes.slack_api import FakeSlack
from tests.support.paths import ROOT
from tests.support.slack_rig import slack_environment

COMMANDS = 100
GUARD_SECONDS = 120  # against a hung run on a busy machine; nothing asserts how long it took


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def place(n: int) -> str:
    return f"Ward {n}, Kings Mill Hospital"


async def serve(env: dict[str, str], log: Path, url: str) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "adapters.cli", "serve", cwd=ROOT, env=env, stdout=out,
            stderr=out,
        )  # fmt: skip
    async with aiohttp.ClientSession() as session, asyncio.timeout(GUARD_SECONDS):
        while True:
            assert process.returncode is None, log.read_text()  # noqa: ASYNC240
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return process
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)


async def in_inbox(database_url: str) -> set[str]:
    """The trigger ids of the commands kept in the inbox and not yet worked."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(InboundCommand.body))
            return {row[0]["trigger_id"] for row in rows}
    finally:
        await engine.dispose()


async def stored(database_url: str) -> Counter[str]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(PlacementOffer.place_text))
            return Counter(row[0] for row in rows)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
async def test_a_server_stopped_mid_burst_has_stored_all_it_acknowledged(
    database_url: str, tmp_path: Path, stop: signal.Signals
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    async with FakeSlack() as slack:
        env = os.environ | {
            "DATABASE_URL": database_url, "HOST": "127.0.0.1", "PORT": str(port),
            **slack_environment(slack), "PYTHONUNBUFFERED": "1",
        }  # fmt: skip
        commands = {
            n: wire.slash_command(
                "/placement",
                f"offer PT 1 Feb - 12 Mar 2027 1 student at {place(n)}",
                slack.response_url(f"c{n}"),
                user=f"U{n:05d}",
                trigger=f"trigger.{n}",
            )[0]
            for n in range(COMMANDS)
        }
        answers: dict[int, dict[str, Any]] = {}
        arrived = asyncio.Event()

        async def send(session: aiohttp.ClientSession, n: int, retry: int = 0) -> None:
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            headers |= wire.signed_headers(commands[n])
            if retry:
                headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"}
            try:
                async with session.post(
                    f"{url}/slack/events", data=commands[n], headers=headers
                ) as r:
                    if r.status == 200:
                        json_body = r.content_type == "application/json"
                        answers[n] = await r.json() if json_body else {}
                        arrived.set()
            except aiohttp.ClientError:
                pass  # the server died before it answered: Slack retries it

        def answer_of(n: int) -> str:
            """The answer the person saw: the ack's body, else the response_url's post."""
            if answers.get(n, {}).get("text"):
                return str(answers[n]["text"])
            posted = slack.named(f"response:c{n}")
            return str(posted[-1].body["text"]) if posted else ""

        first = await serve(env, log, url)
        async with aiohttp.ClientSession() as session:
            burst = [asyncio.create_task(send(session, n)) for n in range(COMMANDS)]
            try:
                async with asyncio.timeout(GUARD_SECONDS):
                    while len(answers) < COMMANDS // 5:
                        arrived.clear()
                        await arrived.wait()
            finally:
                first.send_signal(stop)
                await first.wait()
            await asyncio.gather(*burst)
        acknowledged = dict(answers)
        assert len(acknowledged) >= COMMANDS // 5, log.read_text()
        after_kill, kept = await stored(database_url), await in_inbox(database_url)
        for n in acknowledged:  # its work stored once, or the command kept to be worked
            assert after_kill[place(n)] == 1 or f"trigger.{n}" in kept, n
            assert after_kill[place(n)] <= 1, n

        second = await serve(env, log, url)
        try:
            async with aiohttp.ClientSession() as session:
                missing = [n for n in range(COMMANDS) if n not in acknowledged]
                await asyncio.gather(*(send(session, n, retry=1) for n in missing))
            assert sorted(answers) == list(range(COMMANDS))
            # The late ones are answered through the response_url.
            await slack.wait_until(lambda: all(map(answer_of, range(COMMANDS))), GUARD_SECONDS)
        finally:
            second.send_signal(signal.SIGTERM)
            await second.wait()
    for n in range(COMMANDS):
        assert answer_of(n).endswith("is in the register."), (n, answer_of(n))
    assert await stored(database_url) == Counter({place(n): 1 for n in range(COMMANDS)})
