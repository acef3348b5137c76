"""How fast PlaceBot acknowledges Slack commands, against a bare slack-bolt app in the same run.

    .venv/bin/python -m bench.slack_ack [--requests 1500] [--concurrency 64]

Signed `/placement offer ...` requests at 64 concurrent connections against
(a) the full bot on SQLite, (b) the full bot on PostgreSQL, (c) a bare slack-bolt app on aiohttp
whose handler only acks. Each server runs in its own process; this process is the load and the
fake Slack (users.info and the response_url). Prints requests/s, p50/p99 ack latency, the ratios
a/c and b/c, and checks that every offer was stored exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass

from aiohttp import ClientSession, TCPConnector, web
from sqlalchemy import func, select

from bench.servers import ROOT, free_port, migrate, postgres_database, start
from storage.engine import make_engine
from storage.tables import PlacementOffer
from tests.support.fakes.slack_api import FakeSlack
from tests.support.slack_wire import SIGNING_SECRET, signed_headers, slash_command


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
    seconds: float
    latencies: list[float]
    stored: int | None = None
    answered: int | None = None
    failed: int = 0

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, share: float) -> float:
        return statistics.quantiles(self.latencies, n=100)[int(share * 100) - 1] * 1000


async def load(name: str, port: int, slack: FakeSlack, requests: int, concurrency: int) -> Result:
    url = f"http://127.0.0.1:{port}/slack/events"
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(requests):
        queue.put_nowait(n)

    async def worker(session: ClientSession) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            body, content_type = slash_command(
                "/placement",
                f"offer PT 1 Feb - 12 Mar 2027 2 students at Ward {n}, City Hospital",
                slack.response_url(f"{name}-{n}"),
                user=f"U{n % 64:04d}",
                trigger=f"{name}.{n}.trigger",
            )
            headers = {"Content-Type": content_type, **signed_headers(body)}
            started = time.perf_counter()
            async with session.post(url, data=body.encode(), headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{name}: HTTP {response.status}")
            latencies.append(time.perf_counter() - started)

    async with ClientSession(connector=TCPConnector(limit=concurrency)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return Result(name, time.perf_counter() - started, latencies)


async def count_offers(url: str) -> int:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(select(func.count(PlacementOffer.id)))).scalar_one()
    finally:
        await engine.dispose()


async def wait_for_answers(slack: FakeSlack, name: str, expected: int) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        answered = sum(1 for call in slack.calls if call.method.startswith(f"response:{name}-"))
        if answered >= expected:
            return answered
        await asyncio.sleep(0.2)
    return answered


async def run_target(
    name: str, database_url: str | None, slack: FakeSlack, args: argparse.Namespace
) -> Result:
    port = free_port()
    env = os.environ | {"SLACK_API_URL": slack.api_url, "PYTHONPATH": str(ROOT)}
    if database_url is None:
        command = [sys.executable, "-m", "bench.slack_ack", "--serve-bare", str(port)]
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
            result.answered = await wait_for_answers(slack, name, args.requests)
            result.stored = await count_offers(database_url)
            result.failed = sum(
                1
                for call in slack.calls
                if call.method.startswith(f"response:{name}-")
                and "in the register" not in call.body["text"]
            )
        return result
    finally:
        process.terminate()
        await process.wait()


def report(results: list[Result], requests: int) -> None:
    baseline = results[-1]
    print(f"{'target':<28}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}  stored once")
    for result in results:
        ratio = result.per_second / baseline.per_second
        stored = (
            "-"
            if result.stored is None
            else f"{result.stored}/{requests} (answers {result.answered}, failed {result.failed})"
        )
        print(
            f"{result.name:<28}{result.per_second:>9.0f}{result.percentile(0.5):>9.1f}"
            f"{result.percentile(0.99):>9.1f}{ratio:>8.2f}  {stored}"
        )
    for result in results[:-1]:
        ok = (
            result.per_second / baseline.per_second >= 0.5
            and result.percentile(0.99) < 250
            and result.stored == requests
        )
        verdict = "met" if ok else "NOT met"
        print(f"{result.name}: target (ratio >= 0.5, p99 < 250 ms, each offer once) {verdict}")


async def main(args: argparse.Namespace) -> None:
    results = []
    async with FakeSlack() as slack:
        with tempfile.TemporaryDirectory() as folder:
            sqlite = f"sqlite+aiosqlite:///{folder}/bench.db"
            results.append(await run_target("a) full bot, SQLite", sqlite, slack, args))
        async with postgres_database(f"placebot_bench_{os.getpid()}") as postgres:
            results.append(await run_target("b) full bot, PostgreSQL", postgres, slack, args))
        results.append(await run_target("c) bare slack-bolt (ack)", None, slack, args))
    print(
        f"{args.requests} signed /placement offer requests, {args.concurrency} connections, one run"
    )
    report(results, args.requests)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve_bare:
        serve_bare(arguments.serve_bare)
    else:
        asyncio.run(main(arguments))
