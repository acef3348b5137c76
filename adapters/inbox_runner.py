"""Works an edge's command inbox (`bot.chat.inbox`) in the web process: claims rows, a few
workers run them, finished rows are deleted in batches, claims in hand are renewed.

Rows kept by this process are taken at once (a wake-up); rows left by a process that died or by
another web process are found by a poll every second. A stop takes no more rows, lets the
workers finish the command in hand and gives the unstarted rows back for another process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from bot.chat.inbox import CommandInbox
from bot.kernel.group_commit import GroupCommit
from bot.kernel.outage import Outage
from storage.transactions import database_unreachable

log = logging.getLogger(__name__)

Work = Callable[[dict[str, Any]], Awaitable[bool]]  # True: done; False: try again later
POLL_SECONDS = 1.0
RENEW_SECONDS = 5.0
DELETE_BATCH = 32


class InboxRunner:
    def __init__(
        self, inbox: CommandInbox, work: Work, workers: int = 4, sole: bool = False
    ) -> None:
        self.inbox = inbox
        self.work = work
        self.workers = workers
        self.sole = sole  # the only process on its database: claims found at start are stale
        self.in_hand: set[int] = set()  # claimed by this process and not finished
        self._queue: asyncio.Queue[tuple[int, dict[str, Any]]] = asyncio.Queue()
        self._finished: list[int] = []
        self._keeping = GroupCommit[tuple[str, dict[str, Any]]](inbox.keep)
        self._wake = asyncio.Event()
        self._outage = Outage(f"{inbox.edge} inbox", log)
        self._claimer: asyncio.Task[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def backlog(self) -> int:
        """Commands claimed or queued here and not yet finished."""
        return len(self.in_hand)

    async def keep(self, key: str, body: dict[str, Any]) -> None:
        """Store a command before its acknowledgement (raises when it could not be stored).
        Commands arriving while a batch is being written go together in the next one, so a
        burst costs a transaction per batch, not per command."""
        await self._keeping.add((key, body))
        self._wake.set()

    def start(self) -> None:
        self._claimer = asyncio.create_task(self._claim_loop())
        self._tasks = [asyncio.create_task(self._work_loop()) for _ in range(self.workers)]
        self._tasks.append(asyncio.create_task(self._renew_loop()))

    async def stop(self) -> None:
        """Take no more rows, finish those being worked, give back the rest."""
        if self._claimer is not None:
            self._claimer.cancel()
            await asyncio.gather(self._claimer, return_exceptions=True)
        unstarted: list[int] = []
        while not self._queue.empty():
            row_id, _ = self._queue.get_nowait()
            unstarted.append(row_id)
            self.in_hand.discard(row_id)
            self._queue.task_done()
        await self._queue.join()  # the commands in hand run to their end
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):  # the database away: the leases run out instead
            await self.inbox.give_back(unstarted)
            await self._delete_finished()
        if unstarted:
            log.info("%s inbox: gave back %d commands for another process", self.inbox.edge,
                     len(unstarted))  # fmt: skip

    async def _claim_loop(self) -> None:
        if self.sole:
            await self._try(self.inbox.give_back_all)
        while True:
            room = 2 * self.workers - len(self.in_hand)
            rows = await self._try(partial(self.inbox.claim, room)) if room > 0 else []
            for row_id, body in rows or []:
                self.in_hand.add(row_id)
                self._queue.put_nowait((row_id, body))
            if rows and len(rows) == room:  # more may wait: claim again once a worker is free
                while len(self.in_hand) >= 2 * self.workers:
                    await self._nap()
                continue
            await self._nap()

    async def _nap(self) -> None:
        """Until something is kept or finished here, or a poll's time has passed."""
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(POLL_SECONDS):
                await self._wake.wait()

    async def _work_loop(self) -> None:
        while True:
            row_id, body = await self._queue.get()
            try:
                done = await self.work(body)
            except Exception:  # a bug: logged, and the row left for its lease to run out
                log.exception("%s inbox: a command failed", self.inbox.edge)
                done = False
            finally:
                self.in_hand.discard(row_id)
                self._queue.task_done()
                self._wake.set()  # room to claim another
            if done:
                self._finished.append(row_id)
                if len(self._finished) >= DELETE_BATCH or self._queue.empty():
                    await self._try(self._delete_finished)

    async def _delete_finished(self) -> None:
        finished, self._finished = self._finished, []
        try:
            await self.inbox.done(finished)
        except Exception:
            self._finished.extend(finished)  # deleted next time; worked again is harmless
            raise

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            await self._try(partial(self.inbox.renew, sorted(self.in_hand)))

    async def _try(self, job: Callable[[], Awaitable[Any]]) -> Any:
        """`job`'s result, or None with the database away (logged once per outage)."""
        try:
            result = await job()
        except Exception as error:
            if not database_unreachable(error):
                log.exception("%s inbox: a database call failed", self.inbox.edge)
            else:
                self._outage.failed(error)
            await asyncio.sleep(POLL_SECONDS)
            return None
        self._outage.recovered()
        return result
