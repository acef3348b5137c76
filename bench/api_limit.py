"""A token's rate limit across web processes: `--webs` real `placebot serve` processes on one
PostgreSQL database, one token allowed `--per-minute` calls, and a client calling as fast as
answers come, alternating between the processes, for `--seconds` (60 by default; shorter for a
quick run).

    .venv/bin/python -m bench.api_limit [--webs 2] [--per-minute 120] [--seconds 60]

The limit is a minute's calls in any minute, shared through the database, so within a window of
up to a minute the calls accepted should be the minute's allowance (target: within 5%), not
that many per process; the baseline in the same run is what per-process limits would allow
(`--webs` times it). Prints accepted and refused calls, the ratio to the allowance and the calls
a second the processes answered.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import time
import uuid
from collections import Counter

import aiohttp

from bench.servers import free_port, postgres_database, start, wait_until_up
from bot import demo
from bot.kernel.clock import Clock
from bot.kernel.context import Context
from bot.register.tokens import create_token
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade

TARGET = 0.05  # accepted within 5% of the allowance


async def prepared(url: str) -> str:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
        clock = Clock(zone=settings.timezone)
        async with make_sessionmaker(engine).begin() as session:
            await demo.load(session, clock, settings)
            _token, secret = await create_token(
                Context(session, None, clock, settings, "cli"), "University of Nottingham"
            )
        return secret
    finally:
        await engine.dispose()


async def hammer(bases: list[str], secret: str, seconds: float, lanes: int = 4) -> Counter[int]:
    answers: Counter[int] = Counter()
    headers = {"Authorization": f"Bearer {secret}"}
    stop_at = time.monotonic() + seconds
    turns = itertools.cycle(bases)
    async with aiohttp.ClientSession() as http:

        async def lane() -> None:
            while time.monotonic() < stop_at:
                async with http.get(
                    f"{next(turns)}/api/v1/placements", headers=headers, params={"limit": "1"}
                ) as response:
                    await response.read()
                    answers[response.status] += 1

        await asyncio.gather(*(lane() for _ in range(lanes)))
    return answers


async def main(webs: int, per_minute: int, seconds: float) -> None:
    async with postgres_database(f"placebot_bench_{uuid.uuid4().hex[:8]}") as url:
        secret = await prepared(url)
        ports = [free_port() for _ in range(webs)]
        env_base = {
            "DATABASE_URL": url,
            "PLACEBOT_API_RATE_PER_MINUTE": str(per_minute),
            "PLACEBOT_SCHEDULE_GRACE_HOURS": "0.001",
        }
        processes = []
        try:
            for port in ports:
                env = os.environ | env_base | {"PORT": str(port)}
                command = [sys.executable, "-m", "adapters.cli", "serve"]
                process = await start(command, env, port)
                processes.append(process)
                await wait_until_up(port, process)
            began = time.monotonic()
            answers = await hammer([f"http://127.0.0.1:{port}" for port in ports], secret, seconds)
            took = time.monotonic() - began
        finally:
            for process in processes:
                process.terminate()
            await asyncio.gather(*(process.wait() for process in processes))
    accepted, refused = answers.get(200, 0), answers.get(429, 0)
    others = {status: n for status, n in answers.items() if status not in (200, 429)}
    allowance = per_minute if seconds <= 60 else per_minute * seconds / 60
    ratio = accepted / allowance
    verdict = "ok" if abs(ratio - 1) <= TARGET and not others else "MISSED"
    print(
        f"api limit: {webs} web processes, one token at {per_minute}/min, {seconds:g} s"
        f": accepted {accepted}, refused {refused}"
        + (f", other answers {others}" if others else "")
    )
    print(
        f"  of the allowance ({allowance:g}): {ratio:.3f} (target 1 +/- {TARGET:g}); per-process "
        f"limits would have allowed {allowance * webs:g} ({webs:.0f}x); "
        f"{sum(answers.values()) / took:.0f} answers/s  {verdict}"
    )


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webs", type=int, default=2)
    parser.add_argument("--per-minute", type=int, default=120)
    parser.add_argument("--seconds", type=float, default=60, help="the window (60: a minute)")
    args = parser.parse_args()
    asyncio.run(main(args.webs, args.per_minute, args.seconds))


if __name__ == "__main__":
    cli()
