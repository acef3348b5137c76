"""A small pool of background workers for work that runs after a platform has been answered.

Platforms want an acknowledgement within seconds; the work behind it (a database transaction,
a reply through the platform's API) runs here, a few items at a time, so that a burst of
requests never starves the acknowledgements or piles up on the database's write lock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from bot.kernel import metrics, request_id

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]


class BackgroundWork:
    def __init__(self, workers: int = 8, edge: str = "") -> None:
        self.size = workers
        self.edge = edge  # names the completion latency it reports (`bot.kernel.metrics`)
        self._queue: asyncio.Queue[tuple[Job, float, str | None]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    def submit(self, job: Job) -> None:
        """Queue `job`; workers start on first use, inside the running event loop."""
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._work()) for _ in range(self.size)]
        self._queue.put_nowait((job, time.monotonic(), request_id.current.get()))

    async def _work(self) -> None:
        while True:
            job, queued, request = await self._queue.get()
            request_id.current.set(request)  # the request that asked for this work
            try:
                await job()
            except Exception:
                log.exception("background job failed")
            finally:
                metrics.observe("completion_seconds", time.monotonic() - queued, edge=self.edge)
                self._queue.task_done()

    async def drain(self) -> None:
        """Wait until every queued job has run (tests, and a clean shutdown)."""
        await self._queue.join()

    async def close(self) -> None:
        await self.drain()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
