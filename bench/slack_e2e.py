"""Slack commands end to end: stored and answered, against a bare slack-bolt app that only
acknowledges, in the same run.

    .venv/bin/python -m bench.slack_e2e [--requests 1000] [--concurrency 64]

Signed `/placement offer ...` requests at 64 concurrent connections against the full bot on
SQLite and on PostgreSQL, each with a response_url (the fake Slack's) that answers after 200 ms
and with one that answers at once, and against (baseline) a bare slack-bolt app on aiohttp whose
handler only acks. Each server runs in its own process; this process is the load and the fake
Slack (users.info and the response_url). A command is complete when its answer has arrived:
in its acknowledgement, or (late ones) at the response_url. Prints acks/s, completed/s, ack
p50/p99 and completion p99, the ratios to the bare app's acks/s, and checks that every offer
was stored exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field

from aiohttp import ClientSession, TCPConnector, web
from sqlalchemy import func, select

from bench.servers import ROOT, free_port, migrate, postgres_database, start
from storage.engine import make_engine
from storage.tables import PlacementOffer
from tests.support.fakes.slack_api import FakeSlack
from tests.support.slack_wire import SIGNING_SECRET, signed_headers, slash_command

SLOW_RESPONSE_URL = 0.2


def bare_app() -> web.Application:
    """The baseline: slack-bolt on aiohttp with a handler that only acknowledges."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token="xoxb-bench", base_url=os.environ["SLACK_API_URL"])
    bolt = AsyncApp(signing_secret=SIGNING_SECRET, client=client)

    @bolt.command("/placement")
    async def ack_only(ack) -> None:
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    return app


def serve_bare(port: int) -> None:
    web.run_app(bare_app(), host="127.0.0.1", port=port, print=None)


@dataclass
class Result:
    name: str
    seconds: float  # from the first request to the last acknowledgement
    acks: list[float]  # seconds from sending to the acknowledgement
    completions: list[float] = field(default_factory=list)  # to the answer
    completed_in: float = 0.0  # from the first request to the last answer
    stored: int | None = None
    failed: int = 0

    @property
    def acks_per_second(self) -> float:
        return len(self.acks) / self.seconds

    @property
    def completed_per_second(self) -> float:
        return len(self.completions) / self.completed_in if self.completed_in else 0.0


def p(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1] * 1000


async def load(name: str, port: int, slack: FakeSlack, requests: int, concurrency: int) -> Result:
    url = f"http://127.0.0.1:{port}/slack/events"
    acks: list[float] = []
    sent_at: dict[int, float] = {}
    answered_at: dict[int, float] = {}
    answers: dict[int, str] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(requests):
        queue.put_nowait(n)

    async def worker(session: ClientSession) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            body, content_type = slash_command(
                "/placement",
                f"offer PT 1 Feb - 12 Mar 2027 2 students at Ward {n}, Kings Mill Hospital",
                slack.response_url(f"{name}-{n}"),
                user=f"U{n % 64:04d}",
                trigger=f"{name}.{n}.trigger",
            )
            headers = {"Content-Type": content_type, **signed_headers(body)}
            sent_at[n] = time.monotonic()
            async with session.post(url, data=body.encode(), headers=headers) as response:
                if response.status != 200:
                    raise RuntimeError(f"{name}: HTTP {response.status}")
                await response.read()
                done = time.monotonic()
                if response.content_type == "application/json":
                    answers[n] = (await response.json()).get("text", "")
                    answered_at[n] = done
            acks.append(done - sent_at[n])

    started = time.monotonic()
    async with ClientSession(connector=TCPConnector(limit=concurrency)) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    result = Result(name, time.monotonic() - started, acks)
    if name.startswith("bare"):
        return result
    deadline = time.monotonic() + 120
    while len(answered_at) < requests and time.monotonic() < deadline:
        for call in slack.calls:
            if call.method.startswith(f"response:{name}-"):
                n = int(call.method.rsplit("-", 1)[1])
                if n not in answered_at:
                    answered_at[n], answers[n] = call.at, call.body.get("text", "")
        await asyncio.sleep(0.05)
    result.completions = [answered_at[n] - sent_at[n] for n in answered_at]
    result.completed_in = max(answered_at.values()) - started if answered_at else 0.0
    result.failed = sum(1 for text in answers.values() if "in the register" not in text)
    result.failed += requests - len(answered_at)
    return result


async def count_offers(url: str) -> int:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(select(func.count(PlacementOffer.id)))).scalar_one()
    finally:
        await engine.dispose()


async def run_target(
    name: str, database_url: str | None, slack: FakeSlack, args: argparse.Namespace
) -> Result:
    port = free_port()
    env = os.environ | {"SLACK_API_URL": slack.api_url, "PYTHONPATH": str(ROOT)}
    if database_url is None:
        command = [sys.executable, "-m", "bench.slack_e2e", "--serve-bare", str(port)]
    else:
        env |= {
            "DATABASE_URL": database_url,
            "PORT": str(port),
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_BOT_TOKEN": "xoxb-bench",
        }
        await migrate(env)
        command = [sys.executable, "-m", "adapters.cli", "serve"]
    process = await start(command, env, port)
    try:
        result = await load(name, port, slack, args.requests, args.concurrency)
        if database_url is not None:
            result.stored = await count_offers(database_url)
        return result
    finally:
        process.terminate()
        await process.wait()


def report(results: list[Result], requests: int) -> None:
    bare = results[-1]
    print(
        f"{'target':<34}{'acks/s':>8}{'done/s':>8}{'ack p50':>9}{'ack p99':>9}{'done p99':>10}"
        f"{'done/bare':>11}  stored once"
    )
    for result in results:
        done = result.completed_per_second
        row = (
            f"{result.name:<34}{result.acks_per_second:>8.0f}{done:>8.0f}"
            f"{p(result.acks, 0.5):>9.1f}{p(result.acks, 0.99):>9.1f}"
        )
        if result.completions:
            row += f"{p(result.completions, 0.99):>10.1f}{done / bare.acks_per_second:>11.2f}"
            row += f"  {result.stored}/{requests} (failed {result.failed})"
        print(row)
    full = results[:-1]
    for slow, instant in zip(full[::2], full[1::2], strict=True):
        ok = (
            slow.completed_per_second / bare.acks_per_second >= 0.5
            and p(slow.acks, 0.99) < 100
            and slow.completed_per_second / instant.completed_per_second >= 0.9
            and slow.stored == requests == instant.stored
            and not slow.failed
        )
        to_bare = slow.completed_per_second / bare.acks_per_second
        to_instant = slow.completed_per_second / instant.completed_per_second
        print(
            f"{slow.name.split(',')[0]}: done/bare {to_bare:.2f} (target 0.5), ack p99 "
            f"{p(slow.acks, 0.99):.0f} ms (target 100), slow/instant response_url "
            f"{to_instant:.2f} (target 0.9): {'met' if ok else 'NOT met'}"
        )


async def main(args: argparse.Namespace) -> None:
    results = []
    for database in ("SQLite", "PostgreSQL"):
        for delay in (SLOW_RESPONSE_URL, 0.0):
            name = f"{database}, response_url {int(delay * 1000)} ms"
            async with FakeSlack(response_delay=delay) as slack:
                if database == "SQLite":
                    with tempfile.TemporaryDirectory() as folder:
                        url = f"sqlite+aiosqlite:///{folder}/bench.db"
                        results.append(await run_target(name, url, slack, args))
                else:
                    async with postgres_database(f"placebot_bench_{os.getpid()}") as url:
                        results.append(await run_target(name, url, slack, args))
    async with FakeSlack() as slack:
        results.append(await run_target("bare slack-bolt (ack only)", None, slack, args))
    print(
        f"{args.requests} signed /placement offer requests, {args.concurrency} connections, one run"
    )
    report(results, args.requests)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve_bare:
        serve_bare(arguments.serve_bare)
    else:
        asyncio.run(main(arguments))
