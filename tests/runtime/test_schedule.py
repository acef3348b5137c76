"""Schedules: local times across the clock changes, one run per slot, catch-up within grace."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import jobs
from bot.kernel.clock import FixedClock
from bot.kernel.jobs import JobContext
from bot.runtime.leadership import AlwaysLeader, FileLock
from bot.runtime.schedule import (
    ORPHANED_AFTER,
    WallClockCron,
    catch_up,
    run_slot,
    slot_key,
)
from bot.runtime.worker import Schedule, Worker
from config.settings import Settings
from storage.engine import make_sessionmaker
from storage.tables import ScheduleRun

LONDON = ZoneInfo("Europe/London")


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LONDON)


def fires(crontab: str, start: datetime, end: datetime) -> list[str]:
    """Fire times as local wall-clock strings with their UTC offset."""
    return [
        moment.astimezone(LONDON).strftime("%a %d %b %H:%M %z")
        for moment in WallClockCron(crontab, LONDON).slots_between(start, end)
    ]


def test_the_default_schedules_keep_local_time_through_the_autumn_change() -> None:
    # Clocks go back at 02:00 BST on Sunday 25 October 2026.
    week = (local(2026, 10, 19), local(2026, 11, 1))
    assert fires("30 9 * * mon-fri", *week) == [
        "Mon 19 Oct 09:30 +0100",
        "Tue 20 Oct 09:30 +0100",
        "Wed 21 Oct 09:30 +0100",
        "Thu 22 Oct 09:30 +0100",
        "Fri 23 Oct 09:30 +0100",
        "Mon 26 Oct 09:30 +0000",
        "Tue 27 Oct 09:30 +0000",
        "Wed 28 Oct 09:30 +0000",
        "Thu 29 Oct 09:30 +0000",
        "Fri 30 Oct 09:30 +0000",
    ]
    assert fires("0 8 * * mon", *week) == ["Mon 19 Oct 08:00 +0100", "Mon 26 Oct 08:00 +0000"]
    assert fires("0 16 * * fri", *week) == ["Fri 23 Oct 16:00 +0100", "Fri 30 Oct 16:00 +0000"]


def test_the_default_schedules_keep_local_time_through_the_spring_change() -> None:
    # Clocks go forward at 01:00 GMT on Sunday 28 March 2027.
    week = (local(2027, 3, 22), local(2027, 4, 3))
    assert fires("0 8 * * mon", *week) == ["Mon 22 Mar 08:00 +0000", "Mon 29 Mar 08:00 +0100"]
    assert fires("0 16 * * fri", *week) == ["Fri 26 Mar 16:00 +0000", "Fri 02 Apr 16:00 +0100"]


def test_a_time_in_the_repeated_hour_runs_once_the_night_the_clocks_go_back() -> None:
    night = fires("30 1 * * *", local(2026, 10, 24, 12), local(2026, 10, 26, 12))
    assert night == ["Sun 25 Oct 01:30 +0100", "Mon 26 Oct 01:30 +0000"]


def test_from_inside_the_second_pass_of_the_repeated_hour_the_next_run_is_tomorrow() -> None:
    trigger = WallClockCron("45 1 * * *", LONDON)
    second_pass = datetime(2026, 10, 25, 1, 15, tzinfo=UTC)  # 01:15 GMT, after 01:45 BST ran
    assert trigger.get_next_fire_time(None, second_pass) == local(2026, 10, 26, 1, 45)
    # APScheduler asks with the previous fire time too: never the same instant twice.
    first = local(2026, 10, 25, 1, 45)  # 00:45 UTC
    assert trigger.get_next_fire_time(first, first) == local(2026, 10, 26, 1, 45)


def test_a_time_the_clocks_skip_runs_once_an_hour_later() -> None:
    night = fires("30 1 * * *", local(2027, 3, 27, 12), local(2027, 3, 29, 12))
    assert night == ["Sun 28 Mar 02:30 +0100", "Mon 29 Mar 01:30 +0100"]


def test_both_passes_through_the_repeated_hour_share_one_slot() -> None:
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT
    assert slot_key(first, LONDON) == slot_key(second, LONDON) == "2026-10-25T01:30"


def test_a_schedule_setting_that_is_not_crontab_names_the_variable() -> None:
    settings = Settings(placebot_schedule_summary="every friday", _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(jobs.ScheduleError, match="PLACEBOT_SCHEDULE_SUMMARY"):
        jobs.schedules(settings)


class CountingJob:
    """A job that counts its runs and can be slowed down, to race two runners."""

    def __init__(self, delay: float = 0) -> None:
        self.slots: list[datetime] = []
        self.delay = delay

    async def __call__(self, _ctx: JobContext, slot: datetime) -> str:
        self.slots.append(slot)
        await asyncio.sleep(self.delay)
        return f"run {len(self.slots)}"


def job_context(engine: AsyncEngine, settings: Settings, clock: FixedClock) -> JobContext:
    return JobContext(make_sessionmaker(engine), clock, settings)


async def runs(engine: AsyncEngine) -> list[tuple[str, str, str | None]]:
    async with make_sessionmaker(engine)() as session:
        found = await session.execute(
            select(ScheduleRun.job, ScheduleRun.slot, ScheduleRun.result).order_by(ScheduleRun.slot)
        )
        return [tuple(row) for row in found.all()]  # type: ignore[misc]


async def test_a_slot_runs_once_however_often_it_is_asked(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    ctx = job_context(engine, settings, clock)
    job = CountingJob(delay=0.05)
    slot = local(2026, 11, 23, 8)
    results = await asyncio.gather(*(run_slot(ctx, "digests", job, slot) for _ in range(4)))
    await run_slot(ctx, "digests", job, slot)
    assert len(job.slots) == 1
    assert sorted(results, key=str) == [None, None, None, "run 1"]
    assert await runs(engine) == [("digests", "2026-11-23T08:00", "run 1")]


async def test_a_failed_run_gives_its_slot_back(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    ctx = job_context(engine, settings, clock)
    slot = local(2026, 11, 23, 8)

    async def fails(_ctx: JobContext, _slot: datetime) -> str:
        raise RuntimeError("the SMTP server was down")

    with pytest.raises(RuntimeError):
        await run_slot(ctx, "digests", fails, slot)
    job = CountingJob()
    assert await run_slot(ctx, "digests", job, slot) == "run 1"
    assert await run_slot(ctx, "digests", job, slot) is None


async def test_a_slot_orphaned_by_a_dead_worker_is_taken_over_later(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    ctx = job_context(engine, settings, clock)
    async with ctx.sessions.begin() as session:  # begun, never finished: its worker died
        session.add(ScheduleRun(job="digests", slot="2026-11-23T08:00", started_at=clock.now()))
    job = CountingJob()
    slot = local(2026, 11, 23, 8)
    assert await run_slot(ctx, "digests", job, slot) is None  # it may still be running
    clock.at += ORPHANED_AFTER + timedelta(seconds=1)
    assert await run_slot(ctx, "digests", job, slot) == "run 1"


async def test_a_new_leader_takes_over_the_unfinished_slot_of_the_last_one_at_once(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    ctx = job_context(engine, settings, clock)
    async with ctx.sessions.begin() as session:  # the last leader was killed mid-run
        session.add(
            ScheduleRun(
                job="digests", slot="2026-11-23T08:00", started_at=clock.now(), runner="old-term"
            )
        )
    job = CountingJob()
    new_term = replace(ctx, runner="new-term")
    assert await run_slot(new_term, "digests", job, local(2026, 11, 23, 8)) == "run 1"
    assert await run_slot(new_term, "digests", job, local(2026, 11, 23, 8)) is None


async def test_a_missed_monday_digest_is_caught_up_once_when_the_worker_returns(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    trigger = WallClockCron("0 8 * * mon", LONDON)
    grace = timedelta(hours=12)
    ctx = job_context(engine, settings, clock)
    job = CountingJob()
    clock.at = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # the worker is back at 11:00
    assert await catch_up(ctx, "digests-weekly", job, trigger, grace) == "run 1"
    clock.at += timedelta(hours=2)
    assert await catch_up(ctx, "digests-weekly", job, trigger, grace) is None
    assert job.slots == [local(2026, 11, 23, 8)]


async def test_a_run_missed_by_more_than_the_grace_window_is_not_caught_up(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    trigger = WallClockCron("0 8 * * mon", LONDON)
    ctx = job_context(engine, settings, clock)
    job = CountingJob()
    clock.at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday: a day late
    assert await catch_up(ctx, "digests-weekly", job, trigger, timedelta(hours=12)) is None
    assert job.slots == []


async def test_the_leader_catches_up_then_schedules_and_senders_keep_going(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    settings = settings.model_copy(
        update={"placebot_leader_retry_seconds": 0.05, "placebot_outbox_poll_seconds": 0.05}
    )
    clock.at = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)  # Monday 08:30: digests were at 08:00
    job = CountingJob()
    schedules = [Schedule("digests-weekly", WallClockCron("0 8 * * mon", LONDON), job)]
    worker = Worker(job_context(engine, settings, clock), AlwaysLeader(), {}, schedules)
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(worker.leading.wait(), 5)
        for _ in range(250):
            if (await runs(engine))[-1:] and (await runs(engine))[-1][2]:
                break  # the run is recorded as finished
            await asyncio.sleep(0.02)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert job.slots == [local(2026, 11, 23, 8)]
    assert await runs(engine) == [("digests-weekly", "2026-11-23T08:00", "run 1")]


class FailsOnce(CountingJob):
    async def __call__(self, ctx: JobContext, slot: datetime) -> str:
        if not self.slots:
            self.slots.append(slot)
            raise RuntimeError("the database went away for a moment")
        return await super().__call__(ctx, slot)


async def test_the_leader_tries_a_failed_slot_again_within_grace(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    settings = settings.model_copy(update={"placebot_leader_retry_seconds": 0.05})
    clock.at = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    job = FailsOnce()
    schedules = [Schedule("digests-weekly", WallClockCron("0 8 * * mon", LONDON), job)]
    worker = Worker(job_context(engine, settings, clock), AlwaysLeader(), {}, schedules)
    worker.catch_up_every = 0.1
    task = asyncio.create_task(worker.run())
    try:
        for _ in range(500):  # read once a try: the failed run's row may vanish between reads
            found = await runs(engine)
            if found and found[-1][2]:
                break
            await asyncio.sleep(0.02)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert len(job.slots) == 2  # failed once, then ran to the end
    assert await runs(engine) == [("digests-weekly", "2026-11-23T08:00", "run 2")]


async def test_on_sqlite_a_second_worker_stands_by_until_the_first_is_gone(
    tmp_path: Path,
) -> None:
    first, second = (FileLock(tmp_path / "placebot.db.worker.lock") for _ in range(2))
    assert await first.acquire()
    assert not await second.acquire()
    await first.release()
    assert await second.acquire()
    assert await second.still_held()
    await second.release()
