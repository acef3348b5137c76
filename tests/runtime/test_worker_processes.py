"""Real `placebot worker` processes on one PostgreSQL: one leader, one run per slot, takeover.

Each worker is started as `placebot worker` would be; its log lines are read as it runs. The
weekly digest is scheduled every minute here, so that a worker's start-up catch-up runs it.
"""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from bot import demo
from bot.chat.placebot import PlaceBot
from bot.kernel.clock import Clock
from bot.kernel.messages import Actor, Command
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.tables import Delivery, ScheduleRun
from tests.conftest import truncate_all
from tests.support.paths import ROOT

LEADING = "this worker runs the schedules"
NEVER = "0 0 1 1 *"  # the other schedules stay out of the way: 1 January, outside the grace


class WorkerProcess:
    """`placebot worker` in its own process, its log lines collected as they come."""

    def __init__(self, database_url: str) -> None:
        env = os.environ | {
            "DATABASE_URL": database_url,
            "PLACEBOT_SCHEDULE_DIGESTS_WEEKLY": "* * * * *",
            "PLACEBOT_SCHEDULE_DIGESTS_DAILY": NEVER,
            "PLACEBOT_SCHEDULE_NUDGES": NEVER,
            "PLACEBOT_SCHEDULE_SUMMARY": NEVER,
            "PLACEBOT_SCHEDULE_GRACE_HOURS": "0.5",
            "PLACEBOT_LEADER_RETRY_SECONDS": "0.5",
            "PLACEBOT_OUTBOX_POLL_SECONDS": "0.5",
        }
        for name in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "MICROSOFT_APP_ID", "SMTP_URL"):
            env.pop(name, None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "adapters.cli", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def said(self, text: str) -> bool:
        while not self.lines.empty():
            self.seen.append(self.lines.get_nowait())
        return any(text in line for line in self.seen)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    asyncio.run(truncate_all(postgres_url))
    return postgres_url


@pytest.fixture
def workers(pg_url: str) -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.stop(signal.SIGKILL)


def wait_for(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"waited {seconds} s for {what}")


async def _seed(url: str) -> None:
    """The demo's people, and one new PT offer: news for both HEI leads who place PT."""
    engine = make_engine(url)
    try:
        settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
        sessions = make_sessionmaker(engine)
        async with sessions.begin() as session:
            await demo.load(session, Clock(), settings)
        reply = await PlaceBot(sessions, settings).handle(
            Command(
                Actor("local", "stroke-physio"),
                text="placement offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab",
            )
        )
        assert reply.tone == "success", reply.text
    finally:
        await engine.dispose()


async def _count(url: str, statement: object) -> int:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(statement)).scalar_one()  # type: ignore[arg-type]
    finally:
        await engine.dispose()


def finished_runs(url: str) -> int:
    statement = (
        select(func.count())
        .select_from(ScheduleRun)
        .where(ScheduleRun.job == "digests-weekly", ScheduleRun.finished_at.is_not(None))
    )
    return asyncio.run(_count(url, statement))


def digests(url: str, status: str | None = None) -> int:
    statement = (
        select(func.count()).select_from(Delivery).where(Delivery.dedupe_key.like("digest:%"))
    )
    if status:
        statement = statement.where(Delivery.status == status)
    return asyncio.run(_count(url, statement))


def test_two_workers_on_one_schedule_send_one_digest_per_lead(
    pg_url: str, workers: list[WorkerProcess]
) -> None:
    asyncio.run(_seed(pg_url))
    workers += [WorkerProcess(pg_url), WorkerProcess(pg_url)]
    wait_for(lambda: finished_runs(pg_url) >= 1, 60, "the catch-up run of the weekly digest")
    wait_for(lambda: digests(pg_url, "sent") == 2, 30, "both digests to be delivered")
    time.sleep(2)  # time for a second leader, were there one, to run the slot again
    leaders = [worker for worker in workers if worker.said(LEADING)]
    assert len(leaders) == 1, [w.seen for w in workers]
    # The Nottingham and Sheffield Hallam leads place PT: one digest each, whatever ran twice.
    assert digests(pg_url) == 2


def test_a_standby_worker_takes_over_when_the_leader_dies(
    pg_url: str, workers: list[WorkerProcess]
) -> None:
    workers.append(WorkerProcess(pg_url))
    wait_for(lambda: workers[0].said(LEADING), 60, "the first worker to lead")
    workers.append(WorkerProcess(pg_url))
    time.sleep(2)
    assert not workers[1].said(LEADING)  # the lock is held: the second stands by
    workers[0].stop(signal.SIGKILL)
    wait_for(lambda: workers[1].said(LEADING), 30, "the standby to take over")
