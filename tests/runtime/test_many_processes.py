"""Two `placebot serve` and three `placebot worker` processes on one PostgreSQL database keep
the totals one process would: a token's calls a minute are the configured number across both web
processes, the three workers together send a channel at its rate (the fake Slack, which answers
429 beyond it, never has to), every person gets their message once, and the housekeeping runs
on the leading worker only, once a slot."""

from __future__ import annotations

import asyncio
import itertools
import signal
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import select

from bot import demo
from bot.kernel.clock import Clock
from bot.kernel.context import Context
from bot.register.tokens import create_token
from bot.runtime.housekeeping import NAME as HOUSEKEEPING
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.tables import ScheduleRun
from tests.conftest import bearer, truncate_all
from tests.runtime.test_graceful_stop import (
    free_port,
    placebot_env,
    read,
    readyz_ok,
    start,
    until,
)
from tests.support.fakes.slack_api import FakeSlack
from tests.support.fanout import queue_fanout, slack_user, statuses
from tests.support.slack_rig import slack_environment

WEBS, WORKERS = 2, 3
PER_MINUTE = 10  # a token's calls a minute
CALLS = 3 * PER_MINUTE
PEOPLE = 60
RATE = 20  # Slack posts a second, as the fake allows and the workers are told
GUARD_SECONDS = 90


async def prepared(url: str) -> tuple[str, list[int]]:
    """The demo's organisations and people, a token for one HEI, and a fan-out due: the
    token's secret and the fan-out's people."""
    await truncate_all(url)
    engine = make_engine(url)
    try:
        settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
        clock = Clock(zone=settings.timezone)
        sessions = make_sessionmaker(engine)
        async with sessions.begin() as session:
            await demo.load(session, clock, settings)
            ctx = Context(session, None, clock, settings, "cli")
            _token, secret = await create_token(ctx, "University of Nottingham")
        ids = await queue_fanout(engine, PEOPLE, datetime.now(UTC))
    finally:
        await engine.dispose()
    return secret, ids


async def housekeeping_runs(url: str) -> list[tuple[str, str, bool]]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = await session.execute(
                select(ScheduleRun.slot, ScheduleRun.runner, ScheduleRun.finished_at).where(
                    ScheduleRun.job == HOUSEKEEPING
                )
            )
            return [(slot, runner, finished is not None) for slot, runner, finished in rows]
    finally:
        await engine.dispose()


async def test_two_web_and_three_worker_processes_keep_one_process_totals(
    postgres_url: str, tmp_path: Path
) -> None:
    secret, ids = await prepared(postgres_url)
    logs = [tmp_path / f"process-{n}.log" for n in range(WEBS + WORKERS)]
    ports = [free_port() for _ in range(WEBS)]
    async with FakeSlack(workspace_rate=RATE, channel_rate=1) as slack:
        common = placebot_env(
            postgres_url,
            **slack_environment(slack),
            PLACEBOT_SEND_RATES=f"slack={RATE}",
            PLACEBOT_API_RATE_PER_MINUTE=str(PER_MINUTE),
            PLACEBOT_OUTBOX_POLL_SECONDS="0.3",
            PLACEBOT_SCHEDULE_GRACE_HOURS="0.05",  # this minute's housekeeping is due at once
        )
        webs = [
            await start("serve", common | {"PORT": str(port)}, log)
            for port, log in zip(ports, logs, strict=False)
        ]
        workers = [await start("worker", common, log) for log in logs[WEBS:]]
        processes = webs + workers
        try:
            async with aiohttp.ClientSession() as http, asyncio.timeout(GUARD_SECONDS):
                bases = [f"http://127.0.0.1:{port}" for port in ports]
                for base, web, log in zip(bases, webs, logs, strict=False):
                    await until(readyz_ok(http, base, web, log))
                answers: Counter[int] = Counter()
                for _, base in zip(range(CALLS), itertools.cycle(bases), strict=False):
                    async with http.get(f"{base}/api/v1/placements", headers=bearer(secret)) as r:
                        answers[r.status] += 1
                while await statuses(postgres_url) != {"sent": PEOPLE} or not any(
                    done for *_, done in await housekeeping_runs(postgres_url)
                ):
                    for process, log in zip(processes, logs, strict=False):
                        assert process.returncode is None, read(log)
                    await asyncio.sleep(0.3)
        finally:
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            await asyncio.gather(*(process.wait() for process in processes))
        posts = slack.named("chat.postMessage")
        received = [len(slack.messages.get(f"D{slack_user(n)}", [])) for n in ids]
        limited = slack.limited
    assert answers == {200: PER_MINUTE, 429: CALLS - PER_MINUTE}, answers
    assert received == [1] * PEOPLE  # no duplicates, no losses
    assert len(posts) == PEOPLE
    assert limited == 0  # the workers together kept to the rate; Slack never had to say 429
    stamps = sorted(call.at for call in posts)
    assert (PEOPLE - 1) / (stamps[-1] - stamps[0]) <= RATE * 1.1
    runs = await housekeeping_runs(postgres_url)
    assert len({runner for _slot, runner, _done in runs}) == 1, runs  # the leader alone
    assert len({slot for slot, _runner, _done in runs}) == len(runs)
