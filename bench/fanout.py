"""A nudge fan-out through Slack at the rate Slack allows, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.fanout [--people 20000] [--rate 200] [--sender-rate 250]
        [--workers 3] [--database postgresql]

For each database: `--people` people with Slack identities and one due nudge-like delivery
each, written in bulk; then `--workers` real `placebot worker` processes (1 by default; they
share each channel's rate through the database) deliver them through the fake
Slack Web API on loopback (in this process), which allows `--rate` chat.postMessage calls a
second across the workspace and one a second per channel, answering 429 with Retry-After
beyond either. The worker is told the same rate (PLACEBOT_SEND_RATES), or `--sender-rate` to
see how it backs off from 429s when set too high. Prints deliveries per
second against the allowed rate (target at least 0.95), duplicates and losses (both must be 0),
and the 429s seen. Then the time to compose the HEI digests of 500 leads over 100,000 placements
(`bench/digest_compose.py`, target under 5 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.digest_compose import measure
from bench.servers import ROOT, postgres_database
from storage.engine import make_engine
from storage.migrate import upgrade
from tests.support.fakes.slack_api import FakeSlack
from tests.support.fanout import queue_fanout, slack_user, statuses

GUARD_SECONDS = 1800  # a run that never drains stops here, and says so
TARGET = 0.95  # of the allowed rate


@dataclass
class Run:
    database: str
    people: int
    rate: float
    seconds: float
    delivered: int
    duplicates: int
    losses: int
    limited: int

    @property
    def per_second(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0


@asynccontextmanager
async def database(kind: str) -> AsyncIterator[str]:
    """A fresh, migrated database of this kind, gone afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{folder}/fanout.db"
            await migrated(url)
            yield url
    else:
        async with postgres_database(f"placebot_bench_{uuid.uuid4().hex[:8]}") as url:
            await migrated(url)
            yield url


async def migrated(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def fanout(kind: str, people: int, rate: float, sender_rate: float, workers: int = 1) -> Run:
    async with database(kind) as url:
        engine = make_engine(url)
        try:
            ids = await queue_fanout(engine, people, datetime.now(UTC))
        finally:
            await engine.dispose()
        async with FakeSlack(workspace_rate=rate, channel_rate=1) as slack:
            env = os.environ | {
                "DATABASE_URL": url,
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_SIGNING_SECRET": "bench-signing-secret",
                "SLACK_API_URL": slack.api_url,
                "PLACEBOT_SEND_RATES": f"slack={sender_rate:g}",
                "PLACEBOT_OUTBOX_POLL_SECONDS": "0.5",
                "PLACEBOT_SCHEDULE_GRACE_HOURS": "0.001",  # no catch-up runs of the schedules
            }
            log = open(os.environ.get("BENCH_SERVER_LOG", os.devnull), "ab")  # noqa: SIM115, ASYNC230
            running = [
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "adapters.cli",
                    "worker",
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=log,
                )
                for _ in range(workers)
            ]
            first: float | None = None
            try:
                async with asyncio.timeout(GUARD_SECONDS):
                    while True:
                        for worker in running:
                            if worker.returncode is not None:
                                raise RuntimeError(f"a worker exited with {worker.returncode}")
                        arrived = sum(len(m) for m in slack.messages.values())
                        if first is None and arrived:
                            first = time.monotonic()
                        if arrived >= people and await statuses(url) == {"sent": people}:
                            break
                        await asyncio.sleep(0.1 if arrived < people else 0.5)
            finally:
                for worker in running:
                    worker.terminate()
                await asyncio.gather(*(worker.wait() for worker in running))
                log.close()
            stamps = [call.at for call in slack.named("chat.postMessage")]
            counts = [len(slack.messages.get(f"D{slack_user(i)}", [])) for i in ids]
            rows = await statuses(url)
            return Run(
                database=kind,
                people=people,
                rate=rate,
                seconds=max(stamps) - min(stamps) if stamps else 0.0,
                delivered=sum(1 for n in counts if n),
                duplicates=sum(n - 1 for n in counts if n > 1),
                losses=sum(1 for n in counts if n == 0) + people - rows.get("sent", 0),
                limited=slack.limited,
            )


async def digests() -> None:
    """The time to compose every HEI lead's digest over a large register (bench.digest_compose)."""
    for kind in ("sqlite", "postgresql"):
        async with database(kind) as url:
            figures = await measure(url)
        shown = ", ".join(f"{name} {value:.3g}" for name, value in figures.items())
        print(f"digest compose ({kind}, 500 HEI leads, 100,000 placements; target < 5 s): {shown}")


async def main(
    people: int,
    rate: float,
    sender_rate: float,
    workers: int,
    kinds: tuple[str, ...],
    digest: bool = True,
) -> None:
    print(
        f"fan-out: {people:,} nudges to distinct people through a fake Slack Web API allowing "
        f"{rate:g} chat.postMessage/s across the workspace and 1/s per channel (429 beyond); "
        f"{workers} worker(s) pace Slack at {sender_rate:g}/s between them"
    )
    print(
        f"{'database':<11} {'seconds':>8} {'msg/s':>8} {'of rate':>8} {'dupes':>6} "
        f"{'losses':>7} {'429s':>5}"
    )
    for kind in kinds:
        run = await fanout(kind, people, rate, sender_rate, workers)
        kept = run.per_second >= TARGET * rate and not run.duplicates + run.losses
        verdict = "ok" if kept and (sender_rate > rate or not run.limited) else "MISSED"
        print(
            f"{run.database:<11} {run.seconds:>8.1f} {run.per_second:>8.1f} "
            f"{run.per_second / rate:>8.2f} {run.duplicates:>6} {run.losses:>7} "
            f"{run.limited:>5}  {verdict}",
            flush=True,
        )
    if digest:
        await digests()


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=200, help="allowed posts a second")
    parser.add_argument(
        "--sender-rate", type=float, help="the worker's pace for Slack (default: --rate)"
    )
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--no-digests", action="store_true", help="skip the digest timing")
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    asyncio.run(
        main(
            args.people,
            args.rate,
            args.sender_rate or args.rate,
            args.workers,
            kinds,
            digest=not args.no_digests,
        )
    )


if __name__ == "__main__":
    cli()
