"""The register's housekeeping, a schedule of the leading worker (every minute by default): settle
released offers' held requests, expire offers that started unconfirmed, complete confirmed ones
that have ended, drop held ones that started before anyone confirmed their poster; drop expired
charts, and the housekeeping's own schedule runs of days gone by.

All are idempotent and run under the register lock. (A request or a provider's answer also
settles its offer first, so nobody waits for this.)
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete

from bot.kernel.context import Context
from bot.kernel.jobs import JobContext
from bot.membership.release import drop_started
from bot.requests.expiry import complete_ended, expire_started
from bot.requests.fairness import settle_due
from storage import charts
from storage.tables import ScheduleRun

log = logging.getLogger(__name__)

NAME = "housekeeping"
KEEP_RUNS = timedelta(days=2)  # a run a minute: the slots of the last two days are enough


async def tidy(jobs: JobContext) -> str:
    async with jobs.sessions.begin() as session:
        ctx = Context(session, None, jobs.clock, jobs.settings, "system")
        settled = await settle_due(ctx)
        expired = await expire_started(ctx)
        completed = await complete_ended(ctx)
        dropped = await drop_started(ctx)
        await charts.drop_expired(session, ctx.clock.now())
    summary = (
        f"settled {settled} offers, expired {len(expired)}, completed {len(completed)}, "
        f"dropped {len(dropped)} held"
    )
    if settled or expired or completed or dropped:
        log.info("register: %s", summary)
    return summary


async def housekeeping(jobs: JobContext, slot: datetime) -> str:
    """The scheduled job: `tidy`, then forget its own runs older than `KEEP_RUNS`."""
    summary = await tidy(jobs)
    async with jobs.sessions.begin() as session:
        await session.execute(
            delete(ScheduleRun).where(
                ScheduleRun.job == NAME, ScheduleRun.started_at < slot - KEEP_RUNS
            )
        )
    return summary
