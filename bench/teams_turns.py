"""Teams turns per second against a bare botbuilder bot, and Slack acks under Teams load.

    .venv/bin/python -m bench.teams_turns [--turns 600] [--long-run 10000] [--connector-delay 0.1]

Message activities at 1, 4 and 32 concurrent conversations against (a) the full bot and (b) a bare
botbuilder 4.17 CloudAdapter bot that answers each message with one Adaptive Card, the baseline;
replies land at a fake Bot Connector in this process, which (as the real one) takes its time: it
records a reply as it arrives and answers the POST 100 ms later (`--connector-delay`), and a turn
is timed from its POST to the arrival of its reply. Then signed Slack commands against the full
bot while it serves 32 Teams conversations; then the same with app credentials set: inbound
tokens signed and checked against keys served on loopback, and outbound tokens from a token
endpoint on loopback (50 ms an answer).
Last, 10,000 turns through the full bot: server memory and the outbound User-Agent header size
after 1,000 and after 10,000 turns.

Each ratio compares runs made back to back: the baseline is measured at the same level just
before the full bot, because on a shared machine the load of other work drifts within minutes.
Both servers get the same untimed warm-up turns first, so neither is timed while it imports
modules, fills caches or meets its conversations for the first time. The baseline always runs
without credentials (its credential path is far slower), so the credential ratios are the harder.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import ClientSession, TCPConnector, web

from bench.servers import ROOT, free_port, migrate, postgres_database, start
from tests.support.fakes.bot_connector import FakeConnector, Sent
from tests.support.fakes.bot_framework_keys import BotFrameworkKeys
from tests.support.slack_wire import SIGNING_SECRET, signed_headers, slash_command
from tests.support.teams_wire import message

CARD = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [{"type": "TextBlock", "text": "Echo", "wrap": True}],
}


def serve_bare(port: int) -> None:
    """The baseline: botbuilder's CloudAdapter with an ActivityHandler that replies with a card."""
    from botbuilder.core import ActivityHandler, CardFactory, MessageFactory, TurnContext
    from botbuilder.integration.aiohttp import (
        CloudAdapter,
        ConfigurationBotFrameworkAuthentication,
    )

    class Config:
        APP_ID = ""
        APP_PASSWORD = ""
        APP_TYPE = "MultiTenant"
        APP_TENANTID = ""

    class EchoCard(ActivityHandler):
        async def on_message_activity(self, turn_context: TurnContext) -> None:
            await turn_context.send_activity(
                MessageFactory.attachment(CardFactory.adaptive_card(CARD))
            )

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Config()))
    bot = EchoCard()

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


class TimedConnector(FakeConnector):
    """Resolves a waiting future when the reply to an activity arrives."""

    def __init__(self, token_delay: float = 0.0, answer_delay: float = 0.0) -> None:
        super().__init__(token_delay, answer_delay)
        self.waiting: dict[str, asyncio.Future[Sent]] = {}

    def arrived(self, sent: Sent) -> None:
        future = self.waiting.pop(str(sent.body.get("replyToId")), None)
        if future is not None and not future.done():
            future.set_result(sent)


@dataclass
class Run:
    name: str
    seconds: float
    latencies: list[float] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds

    def p(self, share: float) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000 if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100)[int(share * 100) - 1] * 1000


_ids = itertools.count(1)


async def teams_load(
    port: int,
    connector: TimedConnector,
    turns: int,
    concurrency: int,
    text: str,
    name: str,
    authorization: str | None = None,
) -> Run:
    url = f"http://127.0.0.1:{port}/api/messages"
    latencies: list[float] = []
    remaining = itertools.count()

    async def conversation(session: ClientSession, n: int) -> None:
        while next(remaining) < turns:
            activity = message(
                connector.service_url,
                text,
                conversation=f"a:bench{n}",
                activity_id=f"bench-{next(_ids)}",
                n=n % 9,
            )
            arrival = asyncio.get_running_loop().create_future()
            connector.waiting[activity["id"]] = arrival
            started = time.monotonic()
            headers = {"Authorization": authorization} if authorization else {}
            async with session.post(url, json=activity, headers=headers) as response:
                await response.read()
            sent = await asyncio.wait_for(arrival, 30)
            latencies.append(sent.at - started)

    async with ClientSession(connector=TCPConnector(limit=concurrency)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(conversation(session, n) for n in range(concurrency)))
        return Run(name, time.perf_counter() - started, latencies)


async def slack_acks(
    port: int, requests: int, concurrency: int, stop: asyncio.Event | None = None
) -> Run:
    url = f"http://127.0.0.1:{port}/slack/events"
    latencies: list[float] = []
    counter = itertools.count()

    async def worker(session: ClientSession) -> None:
        while (n := next(counter)) < requests and not (stop and stop.is_set()):
            body, content_type = slash_command(
                "/training",
                "OT",
                "http://127.0.0.1:9/unused",
                trigger=f"teams-bench.{os.getpid()}.{n}",
            )
            headers = {"Content-Type": content_type, **signed_headers(body)}
            started = time.perf_counter()
            async with session.post(url, data=body.encode(), headers=headers) as response:
                await response.read()
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.01)

    async with ClientSession(connector=TCPConnector(limit=concurrency)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return Run("slack acks", time.perf_counter() - started, latencies)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


APP_ID = "6e3c6ad1-bench-4c8e-9d3f-placebot0001"
WARM_UP = 50  # untimed turns each server gets before a timed run


async def full_bot(
    database_url: str, connector: TimedConnector, keys: BotFrameworkKeys | None
) -> tuple[asyncio.subprocess.Process, int]:
    """The full bot; with `keys`, an app id and password, inbound tokens checked against the
    keys, outbound tokens from the connector's (slow) token endpoint."""
    port = free_port()
    env = os.environ | {
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_API_URL": connector.service_url + "slack/",
        "MICROSOFT_TOKEN_URL": connector.token_url,
    }
    if keys is None:
        env["PLACEBOT_TEAMS_ALLOW_UNAUTHENTICATED"] = "1"
    else:
        env |= {
            "MICROSOFT_APP_ID": APP_ID,
            "MICROSOFT_APP_PASSWORD": "bench-secret",
            "MICROSOFT_OPENID_METADATA_URL": keys.metadata_url,
        }
    await migrate(env)
    command = [sys.executable, "-m", "adapters.cli", "serve"]
    return await start(command, env, port), port


LEVELS = (1, 4, 32)


def turns_at(level: int, args: argparse.Namespace) -> int:
    return max(args.turns // 4, args.turns * level // 32)


async def full_bot_runs(
    database: str, database_url: str, credentials: bool, bare_port: int, args: argparse.Namespace
) -> list[tuple[str, Run, float | None]]:
    """At each level the baseline then the full bot, both warmed up first; then Slack acks
    while the full bot serves 32 conversations."""
    rows: list[tuple[str, Run, float | None]] = []
    label = f"{database}, " + ("credentials, " if credentials else "")
    with BotFrameworkKeys() as keys:
        async with TimedConnector(
            token_delay=0.05 if credentials else 0.0, answer_delay=args.connector_delay
        ) as connector:
            signed = keys.authorization(APP_ID, connector.service_url) if credentials else None
            process, port = await full_bot(database_url, connector, keys if credentials else None)
            try:
                for level in LEVELS:
                    turns, warm = turns_at(level, args), max(WARM_UP, 2 * level)
                    await teams_load(bare_port, connector, warm, level, "hello", "warm")
                    await teams_load(port, connector, warm, level, "training OT", "warm", signed)
                    base = await teams_load(bare_port, connector, turns, level, "hello", "b")
                    run = await teams_load(
                        port, connector, turns, level, "training OT", "a", signed
                    )
                    ratio = run.per_second / base.per_second
                    rows.append((f"b) bare botbuilder, {level} conversations", base, None))
                    rows.append((f"a) full bot, {label}{level} conversations", run, ratio))
                stop = asyncio.Event()
                slack = asyncio.create_task(slack_acks(port, 100_000, 4, stop))
                await teams_load(port, connector, args.turns, 32, "training OT", "a", signed)
                stop.set()
                acks = await slack
                rows.append(
                    (f"   Slack acks under that load, {label[:-2] or 'no credentials'}", acks, None)
                )
                if credentials:
                    print(f"token endpoint calls with credentials: {connector.token_requests}")
            finally:
                process.terminate()
                await process.wait()
    return rows


def table(rows: list[tuple[str, Run, float | None]]) -> None:
    print(f"{'run':<58}{'msg/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'a/b':>7}")
    for label, run, ratio in rows:
        shown = f"{ratio:>7.2f}" if ratio is not None else " " * 7
        print(f"{label:<58}{run.per_second:>8.0f}{run.p(0.5):>9.1f}{run.p(0.99):>9.1f}{shown}")


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        bare_port = free_port()
        env = os.environ | {"PYTHONPATH": str(ROOT)}
        bare = await start(
            [sys.executable, "-m", "bench.teams_turns", "--serve-bare", str(bare_port)],
            env,
            bare_port,
        )
        rows: list[tuple[str, Run, float | None]] = []
        try:
            for credentials in (False, True):
                sqlite = f"sqlite+aiosqlite:///{folder}/teams-{credentials}.db"
                rows += await full_bot_runs("SQLite", sqlite, credentials, bare_port, args)
                name = f"placebot_teams_{os.getpid()}_{credentials}"
                async with postgres_database(name) as postgres:
                    rows += await full_bot_runs(
                        "PostgreSQL", postgres, credentials, bare_port, args
                    )
        finally:
            bare.terminate()
            await bare.wait()
        table(rows)
        if args.long_run:
            async with TimedConnector() as connector:
                process, port = await full_bot(
                    f"sqlite+aiosqlite:///{folder}/long.db", connector, None
                )
                try:
                    await teams_load(port, connector, 1000, 32, "training OT", "warm")
                    after_1k = rss_mb(process.pid), max(len(s.user_agent) for s in connector.sent)
                    long = await teams_load(
                        port, connector, args.long_run - 1000, 32, "training OT", "long"
                    )
                    after_all = (
                        rss_mb(process.pid),
                        max(len(s.user_agent) for s in connector.sent[-100:]),
                    )
                finally:
                    process.terminate()
                    await process.wait()
            print(
                f"{args.long_run} turns, 32 conversations: {long.per_second:.0f} msg/s; server RSS "
                f"{after_1k[0]:.1f} MB after 1,000, {after_all[0]:.1f} MB after {args.long_run:,}; "
                f"User-Agent {after_1k[1]} bytes, then {after_all[1]} bytes"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--turns", type=int, default=600, help="turns at 32 conversations (a quarter at 1 and 4)"
    )
    parser.add_argument("--long-run", type=int, default=10_000)
    parser.add_argument(
        "--connector-delay",
        type=float,
        default=0.1,
        help="seconds the fake Bot Connector takes to answer each activity (0: at once)",
    )
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)

    arguments = parser.parse_args()
    if arguments.serve_bare:
        serve_bare(arguments.serve_bare)
    else:
        asyncio.run(main(arguments))
