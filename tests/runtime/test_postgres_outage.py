"""PostgreSQL stopped for 10 s under load: a real `placebot serve` process reaches the database
through a proxy the test cuts (tests/support/tcp_proxy.py: open connections reset, new ones
refused, as a stopped server does) while 16 connections send signed `/placement offer`
commands before, during and after. Every command acknowledged as stored is stored once, every
one answered "try again" is not stored, every request is answered (none hangs), commands work
again within seconds of the database's return, `/readyz` says 503 meanwhile and 200 after, and
the log tells of the outage without a traceback per request. A command whose COMMIT reached
the database just as it stopped says it may have been saved (not "nothing was saved"), and
Slack's retry of it gets the stored answer. And the worker: a fan-out under way when the
database stops reaches each person once after it returns."""

from __future__ import annotations

import asyncio
import itertools
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import make_url, select

from bot.chat.placebot import PlaceBot
from bot.kernel.messages import Actor, Command
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.tables import PlacementOffer
from tests.conftest import truncate_all
from tests.runtime.test_graceful_stop import (
    exit_code,
    free_port,
    placebot_env,
    read,
    readyz_ok,
    start,
)
from tests.support import slack_wire as wire
from tests.support.fakes.slack_api import FakeSlack
from tests.support.fanout import queue_fanout, slack_user, statuses
from tests.support.slack_rig import slack_environment
from tests.support.tcp_proxy import TcpProxy

CUT_SECONDS = 10
LANES = 16  # requests in flight at once
PAUSE = 0.1  # between one command's answer and the next on a lane: a stream, not a flood
# Slack waits 3 s for an acknowledgement; an answer within this proves that nothing hung.
ANSWER_SECONDS = 10
GUARD_SECONDS = 60  # against a hung run on a busy machine; nothing asserts it
STORED = "is in the register."
TRY_AGAIN = "Please try again in a minute."
MAYBE = "it may or may not have been saved"  # the connection broke as the commit went
TRACEBACKS_AT_MOST = 3  # an outage is told in a few lines, not one traceback per request


def place(n: int) -> str:
    return f"Ward {n}, Kings Mill Hospital"


def through(proxy: TcpProxy, database_url: str) -> str:
    url = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    return url.render_as_string(hide_password=False)


async def until(condition: Callable[[], Awaitable[bool] | bool]) -> None:
    async with asyncio.timeout(GUARD_SECONDS):
        while True:
            outcome = condition()
            if outcome if isinstance(outcome, bool) else await outcome:
                return
            await asyncio.sleep(0.05)


@dataclass(frozen=True)
class Sent:
    """One command as Slack saw it: when it went, how long its acknowledgement took, the
    acknowledgement's status (None: no answer at all) and the text it carried."""

    at: float
    took: float
    status: int | None
    text: str


class Load:
    """Signed `/placement offer` commands, each for its own ward, from `LANES` connections at
    once, one after another on each (`PAUSE` between), until `stop()`."""

    def __init__(self, http: aiohttp.ClientSession, base: str, slack: FakeSlack) -> None:
        self.http, self.base, self.slack = http, base, slack
        self.sent: dict[int, Sent] = {}
        self._numbers = itertools.count()
        self._running = True
        self._lanes = [asyncio.create_task(self._lane(lane)) for lane in range(LANES)]

    async def stop(self) -> None:
        self._running = False
        await asyncio.gather(*self._lanes)

    async def _lane(self, lane: int) -> None:
        while self._running:
            n = next(self._numbers)
            body, kind = wire.slash_command(
                "/placement",
                f"offer PT 1 Feb - 12 Mar 2027 1 student at {place(n)}",
                self.slack.response_url(f"c{n}"),
                user=f"U{lane:04d}",
                trigger=f"trigger.{n}",
            )
            headers = wire.signed_headers(body) | {"Content-Type": kind}
            began = time.monotonic()
            status, text = None, ""
            try:
                async with self.http.post(
                    f"{self.base}/slack/events",
                    data=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=ANSWER_SECONDS),
                ) as ack:
                    status = ack.status
                    if ack.content_type == "application/json":
                        text = str((await ack.json()).get("text", ""))
            except (aiohttp.ClientError, TimeoutError) as error:
                text = repr(error)
            self.sent[n] = Sent(began, time.monotonic() - began, status, text)
            await asyncio.sleep(PAUSE)

    def answer(self, n: int) -> str:
        """What the person saw: the acknowledgement's text, else the response_url's post."""
        if self.sent[n].text:
            return self.sent[n].text
        posted = self.slack.named(f"response:c{n}")
        return str(posted[-1].body.get("text", "")) if posted else ""

    def answered(self, words: str, since: float = 0.0) -> list[int]:
        return [n for n, s in list(self.sent.items()) if s.at >= since and words in self.answer(n)]


async def stored(database_url: str) -> Counter[str]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(PlacementOffer.place_text))
            return Counter(row[0] for row in rows)
    finally:
        await engine.dispose()


def not_ready(http: aiohttp.ClientSession, base: str) -> Callable[[], Awaitable[bool]]:
    """`/readyz` answers 503 (in time: a probe that hangs is no better than none)."""

    async def check() -> bool:
        timeout = aiohttp.ClientTimeout(total=ANSWER_SECONDS)
        async with http.get(f"{base}/readyz", timeout=timeout) as response:
            return response.status == 503

    return check


async def test_slack_commands_through_a_ten_second_database_outage_are_stored_once_or_refused(
    postgres_url: str, tmp_path: Path
) -> None:
    await truncate_all(postgres_url)
    upstream = make_url(postgres_url)
    port, log = free_port(), tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    async with (
        TcpProxy(upstream.host or "127.0.0.1", upstream.port or 5432) as proxy,
        FakeSlack() as slack,
        aiohttp.ClientSession() as http,
    ):
        env = placebot_env(through(proxy, postgres_url), PORT=str(port), **slack_environment(slack))
        server = await start("serve", env, log)
        load: Load | None = None
        try:
            await until(readyz_ok(http, base, server, log))
            load = Load(http, base, slack)
            await until(lambda: len(load.answered(STORED)) >= LANES)

            cut_at = time.monotonic()
            await proxy.cut()
            await until(not_ready(http, base))
            await until(lambda: len(load.answered(TRY_AGAIN, since=cut_at)) >= LANES)
            await asyncio.sleep(max(CUT_SECONDS - (time.monotonic() - cut_at), 0))  # the outage

            restored_at = time.monotonic()
            await proxy.restore()
            await until(lambda: len(load.answered(STORED, since=restored_at)) >= LANES)
            await until(readyz_ok(http, base, server, log))
            await load.stop()
            late = [n for n, s in load.sent.items() if s.status == 200 and not s.text]
            await slack.wait_until(lambda: all(map(load.answer, late)), GUARD_SECONDS)
        finally:
            if load is not None:
                await load.stop()
            server.send_signal(signal.SIGTERM)
            code, _took = await exit_code(server, log)
    output = read(log)
    assert code == 0, output
    assert load is not None
    unanswered = {n: s for n, s in load.sent.items() if s.status != 200 or not load.answer(n)}
    assert not unanswered, (unanswered, output)  # every request answered, in time, with a 200
    counts = await stored(postgres_url)
    acknowledged = load.answered(STORED)
    refused = load.answered(TRY_AGAIN)
    maybe = load.answered(MAYBE)
    assert [n for n in acknowledged if counts[place(n)] != 1] == []
    assert [n for n in refused if counts[place(n)] != 0] == []
    assert [n for n in maybe if counts[place(n)] > 1] == []
    assert set(acknowledged) | set(refused) | set(maybe) == set(load.sent), {
        n: load.answer(n) for n in set(load.sent) - set(acknowledged) - set(refused) - set(maybe)
    }
    assert set(counts) <= {place(n) for n in acknowledged + maybe}  # nothing stored unsaid
    slowest = max(s.took for s in load.sent.values())
    assert slowest < ANSWER_SECONDS, slowest
    # One line as the outage began (another if a command in hand finished in between), one as
    # it ended; thousands of commands refused, and no traceback for each.
    assert 1 <= output.count("database failing") <= 2, output
    assert "database recovered" in output, output
    assert output.count("Traceback") <= TRACEBACKS_AT_MOST, output


async def test_a_command_whose_commit_landed_unseen_says_it_may_be_saved_and_its_retry_recalls_it(
    postgres_url: str,
) -> None:
    """The database stops just as a command's COMMIT reached it: the commit landed, its answer
    never came back. The reply says so honestly (not "nothing was saved"), and Slack's retry
    of the same delivery, once the database is back, gets the stored answer: one offer."""
    await truncate_all(postgres_url)
    upstream = make_url(postgres_url)
    async with TcpProxy(upstream.host or "127.0.0.1", upstream.port or 5432) as proxy:
        engine = make_engine(through(proxy, postgres_url), statement_timeout=5)
        bot = PlaceBot(make_sessionmaker(engine), Settings(database_url=postgres_url))
        actor = Actor("slack", "U0001", wire.TEAM, "Clinician 1")
        words = f"placement offer PT 1 Feb - 12 Mar 2027 1 student at {place(1)}"
        command = Command(actor, text=words, delivery_key="slack:command:trigger.1")
        try:
            proxy.cut_after(b"COMMIT")
            reply = await bot.handle_or_recall(command)
            await proxy.tripped()
            assert MAYBE in reply.text, reply.text
            assert TRY_AGAIN not in reply.text
            assert await stored(postgres_url) == Counter({place(1): 1})

            await proxy.restore()
            again = await bot.handle_or_recall(command)  # Slack's retry: same trigger id
            assert again.text.endswith(STORED), again.text
            assert await stored(postgres_url) == Counter({place(1): 1})
        finally:
            await engine.dispose()


async def test_a_fanout_under_way_through_a_ten_second_outage_reaches_each_person_once(
    postgres_url: str, tmp_path: Path
) -> None:
    """`placebot worker` sending an outbox fan-out when the database stops: it keeps running,
    logs the outage once and its end once, and when the database is back every message goes,
    each exactly once (rows it had sent but could not record are checked in the DM's history
    before any resend)."""
    people, log = 120, tmp_path / "worker.log"
    await truncate_all(postgres_url)
    engine = make_engine(postgres_url)
    try:
        recipients = await queue_fanout(engine, people, datetime.now(UTC))
    finally:
        await engine.dispose()
    upstream = make_url(postgres_url)
    async with (
        TcpProxy(upstream.host or "127.0.0.1", upstream.port or 5432) as proxy,
        FakeSlack(delay=0.05) as slack,
    ):
        env = placebot_env(
            through(proxy, postgres_url),
            **slack_environment(slack),
            PLACEBOT_OUTBOX_LEASE_SECONDS="3",  # rows it could not record are due again soon
            PLACEBOT_OUTBOX_POLL_SECONDS="0.2",
            PLACEBOT_SEND_RATES="slack=40",
        )

        def arrived() -> int:
            return sum(len(messages) for messages in slack.messages.values())

        worker = await start("worker", env, log)
        try:
            await until(lambda: arrived() >= people // 4 or worker.returncode is not None)
            assert worker.returncode is None, read(log)
            await proxy.cut()
            await asyncio.sleep(CUT_SECONDS)  # the outage
            assert worker.returncode is None, read(log)  # it rode the outage out
            assert arrived() < people, "the fan-out was over before the database came back"
            await proxy.restore()

            async def all_sent() -> bool:
                assert worker.returncode is None, read(log)
                return await statuses(postgres_url) == {"sent": people}

            await until(all_sent)
        finally:
            worker.send_signal(signal.SIGTERM)
            code, _took = await exit_code(worker, log)
    output = read(log)
    assert code == 0, output
    per_person = {p: len(slack.messages[f"D{slack_user(p)}"]) for p in recipients}
    assert {p: n for p, n in per_person.items() if n != 1} == {}
    assert output.count("outbox sender failing") == 1, output
    assert output.count("outbox sender recovered") == 1, output
    assert output.count("Traceback") <= TRACEBACKS_AT_MOST, output
