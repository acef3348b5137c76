"""When scheduled jobs run: crontab lines read as local wall-clock times, and slots that run once.

APScheduler's own `CronTrigger` misbehaves on the night the clocks go back: for a time inside
the repeated hour it fires twice and then returns the same past instant for ever. `WallClockCron`
asks the cron rules in wall-clock time and then places the answer in the zone: a time in the
repeated hour runs once (its first occurrence), a time skipped when the clocks go forward runs
once, an hour later by the wall clock.

Each run is recorded in `schedule_runs` under its local wall-clock slot ("2026-10-25T01:30"),
so however many workers, restarts or clock changes there are, a slot's job runs to the end once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel import metrics, request_id
from bot.kernel.jobs import JobContext
from storage.tables import ScheduleRun
from storage.upsert import insert

log = logging.getLogger(__name__)

# A job gets the sessions, the clock, the settings and its slot's instant; it returns a short
# result ("12 nudges queued"). Jobs must be idempotent: they write deliveries by dedupe key.
Job = Callable[[JobContext, datetime], Awaitable[str]]


class WallClockCron(BaseTrigger):  # type: ignore[misc]
    """A crontab line in local wall-clock time that stays right across clock changes."""

    def __init__(self, crontab: str, zone: tzinfo) -> None:
        self.crontab = crontab
        self.zone = zone
        # The rules run on naive wall-clock times, carried as UTC so no offset ever shifts them.
        self._rules = CronTrigger.from_crontab(crontab, timezone=UTC)

    def _wall(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone).replace(tzinfo=UTC, fold=0)

    def _place(self, wall: datetime) -> datetime:
        """The instant of a wall-clock time: the first one in a repeated hour; in a skipped hour,
        the offset before the change (an hour later by the clock, once)."""
        return wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        after = max(now, previous_fire_time + timedelta(seconds=1)) if previous_fire_time else now
        wall = self._wall(after)
        for _ in range(1000):  # a handful of steps at most; bounded all the same
            nxt = self._rules.get_next_fire_time(None, wall)
            if nxt is None:
                return None
            instant = self._place(nxt)
            if instant >= after and (previous_fire_time is None or instant > previous_fire_time):
                return instant.astimezone(self.zone)
            wall = nxt + timedelta(seconds=1)  # that wall time already passed (repeated hour)
        return None

    def slots_between(self, start: datetime, end: datetime) -> list[datetime]:
        """Every fire time in [start, end], oldest first."""
        found: list[datetime] = []
        previous: datetime | None = None
        now = start
        while (nxt := self.get_next_fire_time(previous, now)) is not None and nxt <= end:
            found.append(nxt)
            previous = now = nxt
        return found

    def __str__(self) -> str:
        return f"cron[{self.crontab}] in {self.zone}"

    def __getstate__(self) -> dict[str, Any]:
        return {"crontab": self.crontab, "zone": self.zone}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["crontab"], state["zone"])  # type: ignore[misc]


def slot_key(instant: datetime, zone: tzinfo) -> str:
    """The slot's local wall-clock time to the minute: the same key for both passes through a
    repeated hour."""
    return instant.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


# A slot begun this long ago and never finished is orphaned, whoever began it.
ORPHANED_AFTER = timedelta(minutes=30)


async def _claim_slot(
    session: AsyncSession, job: str, slot: str, now: datetime, runner: str
) -> bool:
    """True when this slot is ours to run: new, left unfinished by an earlier leader, or begun
    long ago. A slot this runner is working on right now is not taken twice."""
    inserted = await session.execute(
        insert(session, ScheduleRun)
        .values(job=job, slot=slot, started_at=now, runner=runner)
        .on_conflict_do_nothing(index_elements=["job", "slot"])
    )
    if inserted.rowcount == 1:
        return True
    taken_over = await session.execute(
        update(ScheduleRun)
        .where(
            ScheduleRun.job == job,
            ScheduleRun.slot == slot,
            ScheduleRun.finished_at.is_(None),
            or_(ScheduleRun.runner != runner, ScheduleRun.started_at < now - ORPHANED_AFTER),
        )
        .values(started_at=now, runner=runner)
    )
    return taken_over.rowcount == 1


async def run_slot(ctx: JobContext, name: str, job: Job, slot: datetime) -> str | None:
    """Run `job` for `slot` unless that slot ran, or is running; the result, or None.

    A job that fails gives its slot back at once, so the leader's next catch-up tries again."""
    key = slot_key(slot, ctx.clock.zone)
    async with ctx.sessions.begin() as session:
        if not await _claim_slot(session, name, key, ctx.clock.now(), ctx.runner):
            log.info("%s for %s already ran or is running", name, key)
            return None
    marked = request_id.current.set(f"{name}:{key}")  # what the run queues carries it
    try:
        result = await job(ctx, slot)
    except BaseException:
        metrics.count("schedule_runs", job=name, outcome="failed")
        async with ctx.sessions.begin() as session:
            await session.execute(
                delete(ScheduleRun).where(ScheduleRun.job == name, ScheduleRun.slot == key)
            )
        raise
    finally:
        request_id.current.reset(marked)
    async with ctx.sessions.begin() as session:
        await session.execute(
            update(ScheduleRun)
            .where(ScheduleRun.job == name, ScheduleRun.slot == key)
            .values(finished_at=ctx.clock.now(), result=result[:200])
        )
    metrics.count("schedule_runs", job=name, outcome="finished")
    log.info("%s for %s: %s", name, key, result)
    return result


async def catch_up(
    ctx: JobContext, name: str, job: Job, trigger: WallClockCron, grace: timedelta
) -> str | None:
    """Run the latest slot within `grace` of now once, if it has not run (worker was down)."""
    now = ctx.clock.now()
    missed = trigger.slots_between(now - grace, now)
    if not missed:
        return None
    return await run_slot(ctx, name, job, missed[-1])
