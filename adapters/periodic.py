"""A job a server runs every few seconds for as long as it runs (from start-up on), whose
failure is logged and tried again next time: an aiohttp cleanup context. With the database away
it fails every time; that is logged once as it begins and once as it ends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from aiohttp import web

from bot.kernel.outage import Outage
from storage.transactions import database_unreachable

log = logging.getLogger(__name__)


def every(
    seconds: float, job: Callable[[], Awaitable[object]], what: str
) -> Callable[[web.Application], AbstractAsyncContextManager[None]]:
    """Run `job` at start-up and then every `seconds`; `what` names it in the log."""

    @asynccontextmanager
    async def running(_app: web.Application) -> AsyncIterator[None]:
        outage = Outage(what, log)

        async def loop() -> None:
            while True:
                try:
                    await job()
                    outage.recovered()
                except Exception as error:
                    if database_unreachable(error):
                        outage.failed(error)
                    else:
                        log.exception("%s failed; trying again in %.0f s", what, seconds)
                await asyncio.sleep(seconds)

        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return running
