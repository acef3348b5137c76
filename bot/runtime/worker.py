"""`placebot worker`: the schedules (on the leader only) and outbox delivery (on every worker).

The leader runs APScheduler's `AsyncIOScheduler` with one job per schedule. A firing does not
carry its slot into the job; instead it runs the latest slot due within the grace window, the
same function that catches up a slot missed while no worker was up. So a late firing, a
catch-up at start-up and a second leader for a moment all come to one run per slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.delivery.channels import Channel
from bot.delivery.sender import Sender
from bot.kernel.jobs import JobContext
from bot.kernel.outage import Outage
from bot.runtime.leadership import Leadership
from bot.runtime.schedule import Job, WallClockCron, catch_up

log = logging.getLogger(__name__)

# How often the leader looks again for slots within grace that did not run to the end.
CATCH_UP_EVERY = 300.0

OUTBOX_LANES = 2


@dataclass(frozen=True)
class Schedule:
    name: str
    trigger: WallClockCron
    job: Job


class Worker:
    """Sends from the outbox always; runs the schedules while it holds the leadership."""

    def __init__(
        self,
        ctx: JobContext,
        leadership: Leadership,
        channels: Mapping[str, Channel],
        schedules: list[Schedule],
    ) -> None:
        self.ctx = ctx
        self.leadership = leadership
        self.sender = Sender.configured(ctx.sessions, channels, ctx.clock, ctx.settings)
        self.schedules = schedules
        settings = ctx.settings
        self.grace = timedelta(hours=settings.placebot_schedule_grace_hours)
        self.retry = settings.placebot_leader_retry_seconds
        self.poll = settings.placebot_outbox_poll_seconds
        self.leading = asyncio.Event()
        self.term = ctx  # the job context of the current leadership term
        self.catch_up_every = CATCH_UP_EVERY
        self.stopping = asyncio.Event()
        self.outbox_outage = Outage("outbox sender", log)
        self.lock_outage = Outage("schedule lock", log)

    async def run(self) -> None:
        """Until `stop()`, then until the claims in hand are sent or given back; or cancelled."""
        async with asyncio.TaskGroup() as tasks:
            # Two claims in flight: one's last sends overlap the next one's first.
            for lane in range(OUTBOX_LANES):
                tasks.create_task(self._send_forever(), name=f"outbox sender {lane}")
            leader = tasks.create_task(self._lead_forever(), name="schedule leader")
            await self.stopping.wait()
            leader.cancel()  # its scheduler stops and the schedule lock is released

    def stop(self) -> None:
        """Stop leading and claiming; rows claimed and not yet tried go back to the outbox."""
        self.stopping.set()
        self.sender.stop()

    async def run_schedule(self, schedule: Schedule) -> str | None:
        """The latest due slot of `schedule`, once; errors are logged, never raised."""
        try:
            return await catch_up(
                self.term, schedule.name, schedule.job, schedule.trigger, self.grace
            )
        except Exception:
            log.exception("scheduled job %s failed", schedule.name)
            return None

    async def _send_forever(self) -> None:
        while not self.stopping.is_set():
            try:
                outcome = await self.sender.run_once()
                self.outbox_outage.recovered()
            except Exception as error:  # the database away: one line per outage
                self.outbox_outage.failed(error)
                outcome = None
            if outcome is None or outcome.claimed == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), self.poll)

    async def _lead_forever(self) -> None:
        while True:
            try:
                acquired = await self.leadership.acquire()
                self.lock_outage.recovered()
            except Exception as error:
                self.lock_outage.failed(error)
                acquired = False
            if acquired:
                await self._lead()
            await asyncio.sleep(self.retry)

    async def _hold(self) -> None:
        """Return when the leadership is lost (checked every `retry` seconds). Meanwhile, every
        few minutes, run any slot within grace that has not run to the end: one whose job
        failed, or one a dead leader left unfinished."""
        last_catch_up = time.monotonic()
        while True:
            await asyncio.sleep(self.retry)
            if not await self.leadership.still_held():
                return
            if time.monotonic() - last_catch_up >= self.catch_up_every:
                last_catch_up = time.monotonic()
                for schedule in self.schedules:
                    await self.run_schedule(schedule)

    async def _lead(self) -> None:
        self.term = replace(self.ctx, runner=f"{os.getpid()}-{uuid.uuid4().hex[:12]}")
        log.info("this worker runs the schedules (term %s)", self.term.runner)
        self.leading.set()
        scheduler = AsyncIOScheduler(
            timezone=self.ctx.clock.zone,
            job_defaults={
                # APScheduler's default grace of one second would drop a run whenever the loop
                # is busy at the fire time; a missed run is caught up within our grace instead.
                "misfire_grace_time": int(self.grace.total_seconds()),
                "coalesce": True,
                "max_instances": 1,
            },
        )
        try:
            for schedule in self.schedules:  # slots missed while no worker led
                await self.run_schedule(schedule)
            for schedule in self.schedules:
                scheduler.add_job(
                    self.run_schedule,
                    schedule.trigger,
                    args=[schedule],
                    id=schedule.name,
                    name=schedule.name,
                )
            scheduler.start()
            await self._hold()
            log.warning("this worker no longer holds the schedule lock; standing by")
        finally:
            self.leading.clear()
            if scheduler.running:
                scheduler.shutdown(wait=False)
            with contextlib.suppress(Exception):
                await self.leadership.release()
