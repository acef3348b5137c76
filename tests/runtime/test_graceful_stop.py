"""Real `placebot serve` and `placebot worker` processes stopped with SIGTERM: requests in hand are
answered, `/readyz` says 503 meanwhile, claimed outbox rows go straight back for another sender,
and the process exits 0 within PLACEBOT_SHUTDOWN_SECONDS. And a second server on one SQLite file
refuses to start."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bot.delivery.sender import Sender
from bot.kernel.clock import Clock
from bot.kernel.messages import Reply
from storage.engine import make_engine, make_sessionmaker
from tests.support import slack_wire as wire
from tests.support.fakes.slack_api import FakeSlack
from tests.support.fanout import queue_fanout, statuses
from tests.support.locks import people_locked
from tests.support.paths import ROOT
from tests.support.slack_rig import slack_environment

SHUTDOWN_SECONDS = 10
GUARD_SECONDS = 60  # against a hung run on a busy machine; nothing asserts it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def placebot_env(database_url: str, **extra: str) -> dict[str, str]:
    env = os.environ | {
        "DATABASE_URL": database_url,
        "PLACEBOT_SHUTDOWN_SECONDS": str(SHUTDOWN_SECONDS),
        "PLACEBOT_SCHEDULE_GRACE_HOURS": "0.001",  # no catch-up runs of the schedules
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "MICROSOFT_APP_ID", "SMTP_URL"):
        env.pop(name, None)
    return env | extra


async def start(verb: str, env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "adapters.cli", verb, cwd=ROOT, env=env, stdout=out, stderr=out
        )


async def until(condition: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(GUARD_SECONDS):
        while True:
            if await condition():
                return
            await asyncio.sleep(0.05)


def read(log: Path) -> str:
    return log.read_text() if log.exists() else ""


def readyz_ok(
    http: aiohttp.ClientSession, base: str, server: asyncio.subprocess.Process, log: Path
) -> Callable[[], Awaitable[bool]]:
    """`/readyz` answers 200 (the server failing to start fails the test with its log)."""

    async def check() -> bool:
        assert server.returncode is None, read(log)
        try:
            async with http.get(f"{base}/readyz") as response:
                return response.status == 200
        except aiohttp.ClientConnectionError:
            return False

    return check


def said(log: Path, words: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return words in read(log)

    return check


async def exit_code(process: asyncio.subprocess.Process, log: Path) -> tuple[int, float]:
    began = time.monotonic()
    try:
        async with asyncio.timeout(SHUTDOWN_SECONDS + 5):
            code = await process.wait()
    except TimeoutError:
        process.kill()
        raise AssertionError(f"did not exit within the bound:\n{read(log)}") from None
    return code, time.monotonic() - began


async def test_serve_answers_requests_in_hand_then_exits_0_and_readyz_says_503_meanwhile(
    database_url: str, tmp_path: Path
) -> None:
    port, log = free_port(), tmp_path / "serve.log"
    env = placebot_env(database_url, PORT=str(port), PLACEBOT_LOCAL_CHAT="true")
    base = f"http://127.0.0.1:{port}"
    server = await start("serve", env, log)
    async with aiohttp.ClientSession() as http:
        await until(readyz_ok(http, base, server, log))
        async with people_locked(database_url):
            commands = [
                asyncio.create_task(
                    http.post(f"{base}/local/send", json={"user": f"u{n}", "text": "help"})
                )
                for n in range(5)
            ]
            await asyncio.sleep(0.3)  # the requests reach the server and wait on the database
            assert not any(command.done() for command in commands)
            server.send_signal(signal.SIGTERM)

            async def refusing() -> bool:
                async with http.get(f"{base}/readyz") as response:
                    return response.status == 503

            await until(refusing)  # /readyz says 503 while stopping
            async with http.post(f"{base}/local/send", json={"user": "late"}) as late:
                assert late.status == 503  # nothing new is taken on
        answers = await asyncio.gather(*commands)
        for answer in answers:
            assert answer.status == 200
            assert "text" in await answer.json()
    code, took = await exit_code(server, log)
    assert code == 0, read(log)
    assert took < SHUTDOWN_SECONDS


async def test_a_request_that_outlasts_the_bound_does_not_hold_up_the_exit(
    database_url: str, tmp_path: Path
) -> None:
    bound = 3
    port, log = free_port(), tmp_path / "serve.log"
    env = placebot_env(
        database_url, PORT=str(port), PLACEBOT_LOCAL_CHAT="true", PLACEBOT_SHUTDOWN_SECONDS="3"
    )
    base = f"http://127.0.0.1:{port}"
    server = await start("serve", env, log)
    async with aiohttp.ClientSession() as http:
        await until(readyz_ok(http, base, server, log))
        async with people_locked(database_url):  # for longer than the bound
            stuck = asyncio.create_task(http.post(f"{base}/local/send", json={"user": "u1"}))
            await asyncio.sleep(0.3)
            assert not stuck.done()
            server.send_signal(signal.SIGTERM)
            code, took = await exit_code(server, log)
        stuck.cancel()
    assert code == 0, read(log)
    assert took < bound + 1, f"{took:.1f} s"  # cut short, or (SQLite) timed out within the bound


async def test_slack_commands_in_hand_at_sigterm_are_all_stored_and_answered(
    database_url: str, tmp_path: Path
) -> None:
    """A command is stored before it is acknowledged: its work, or (in a burst) the command
    itself in the inbox. Commands in hand when the stop begins (waiting on the database) are
    not acknowledged before they are stored; the process exits 0 within its bound, having
    given back the inbox's unworked commands, and the next process works and answers them."""
    commands = 20
    port, log = free_port(), tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    env = placebot_env(database_url, PORT=str(port))
    async with FakeSlack() as slack, aiohttp.ClientSession() as http:
        server = await start("serve", env | slack_environment(slack), log)

        async def command(n: int) -> str:
            body, kind = wire.slash_command(
                "/placement", "help", slack.response_url(f"c{n}"), user=f"U{n:04d}",
                trigger=f"trigger-{n}",
            )  # fmt: skip
            headers = wire.signed_headers(body) | {"Content-Type": kind}
            async with http.post(f"{base}/slack/events", data=body, headers=headers) as ack:
                assert ack.status == 200
                answer = await ack.json() if ack.content_type == "application/json" else {}
            return str(answer.get("text", ""))

        def late() -> dict[int, str]:
            return {int(c.method.split(":c")[1]): c.body["text"] for c in slack.calls
                    if c.method.startswith("response:c")}  # fmt: skip

        await until(readyz_ok(http, base, server, log))
        async with people_locked(database_url):
            in_hand = [asyncio.create_task(command(n)) for n in range(commands)]
            await asyncio.sleep(0.3)
            server.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.3)  # the stop is under way while the work waits on the database
            # (on PostgreSQL the inbox is not behind the lock: commands kept there are acked)
        answers = await asyncio.gather(*in_hand)
        code, took = await exit_code(server, log)
        assert code == 0, read(log)
        assert took < SHUTDOWN_SECONDS
        unanswered = [n for n, acked in enumerate(answers) if not acked and n not in late()]
        if unanswered:  # kept in the inbox: the next process works them
            restarted = await start("serve", env | slack_environment(slack), log)
            try:
                await slack.wait_until(lambda: all(n in late() for n in unanswered), 60)
            finally:
                restarted.send_signal(signal.SIGTERM)
                assert (await exit_code(restarted, log))[0] == 0, read(log)
    for n, acked in enumerate(answers):
        said = acked or late().get(n, "")
        assert said and not said.startswith("Sorry"), (n, said, read(log))


async def test_a_second_serve_on_one_sqlite_file_refuses_naming_database_url(
    tmp_path: Path, sqlite_template: Path
) -> None:
    path = tmp_path / "placebot.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    log = tmp_path / "first.log"
    first = await start("serve", placebot_env(url, PORT=str(free_port())), log)
    try:
        await until(said(log, "PlaceBot is running"))
        second = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "adapters.cli", "serve"),
            cwd=ROOT,
            env=placebot_env(url, PORT=str(free_port())),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(GUARD_SECONDS):
            _out, error = await second.communicate()
        assert second.returncode == 1
        assert "SQLite serves one process" in error.decode()
        assert "DATABASE_URL" in error.decode()
        worker = await start("worker", placebot_env(url), tmp_path / "worker.log")  # beside it
        await until(said(tmp_path / "worker.log", "worker is running"))
        worker.send_signal(signal.SIGTERM)
        assert (await exit_code(worker, tmp_path / "worker.log"))[0] == 0
        first.send_signal(signal.SIGTERM)
        assert (await exit_code(first, log))[0] == 0, read(log)
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()


class Recorder:
    """A channel that takes every message at once."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, recipient_id: int, reply: Reply, dedupe_key: str) -> None:
        self.sent.append(dedupe_key)


async def test_a_worker_stopped_mid_fanout_gives_its_claims_straight_back(
    database_url: str, tmp_path: Path
) -> None:
    people = 200
    engine = make_engine(database_url)
    try:
        await queue_fanout(engine, people, datetime.now(UTC))
        log = tmp_path / "worker.log"
        async with FakeSlack(delay=0.05) as slack:
            env = placebot_env(
                database_url,
                **slack_environment(slack),
                PLACEBOT_OUTBOX_POLL_SECONDS="0.2",
                PLACEBOT_SEND_RATES="slack=40",
            )  # the lease is the default 300 s: rows left 'sending' would wait that long
            worker = await start("worker", env, log)

            async def under_way() -> bool:
                assert worker.returncode is None, read(log)
                return sum(len(m) for m in slack.messages.values()) >= people // 10

            await until(under_way)
            worker.send_signal(signal.SIGTERM)
            code, _took = await exit_code(worker, log)
            assert code == 0, read(log)
            arrived = sum(len(m) for m in slack.messages.values())
        assert arrived < people, "the fan-out was over before the stop"
        left = await statuses(database_url)
        assert "sending" not in left, left
        assert left == {"sent": arrived, "pending": people - arrived}
        assert "gave back" in read(log)

        channel = Recorder()
        sender = Sender(make_sessionmaker(engine), {"slack": channel}, Clock(), batch=people)
        outcome = await sender.run_once()  # at once, not after the lease
        assert outcome.claimed == people - arrived
        assert await statuses(database_url) == {"sent": people}
    finally:
        await engine.dispose()
