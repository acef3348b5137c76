"""Once a minute: settle released offers' held requests, expire offers that started unconfirmed,
complete confirmed ones that have ended, and drop held ones that started before anyone
confirmed their poster; drop expired charts.

All are idempotent and run under the register lock, so several web processes may run them.
(A request or a provider's answer also settles its offer first, so nobody waits for this.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from adapters.register_api.runtime import RegisterApi
from bot.membership.release import drop_started
from bot.requests.expiry import complete_ended, expire_started
from bot.requests.fairness import settle_due
from storage import charts

log = logging.getLogger(__name__)
EVERY_SECONDS = 60.0


async def tidy(api: RegisterApi) -> None:
    async with api.context() as ctx:
        settled = await settle_due(ctx)
        expired = await expire_started(ctx)
        completed = await complete_ended(ctx)
        dropped = await drop_started(ctx)
        await charts.drop_expired(ctx.session, ctx.clock.now())
    if settled or expired or completed or dropped:
        log.info(
            "register: settled %d offers, expired %d, completed %d, dropped %d held",
            settled, len(expired), len(completed), len(dropped),
        )  # fmt: skip


def running(api: RegisterApi) -> Callable[[web.Application], AsyncIterator[None]]:
    async def loop() -> None:
        while True:
            await asyncio.sleep(EVERY_SECONDS)
            try:
                await tidy(api)
            except Exception:
                log.exception("register housekeeping failed; trying again in a minute")

    async def context(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(loop())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context
