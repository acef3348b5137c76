"""Many small writes that arrive together, written in one transaction (a group commit).

Under a burst, a transaction per item queues each for the database (SQLite has one writer, and
each transaction costs round trips); batching what arrived while the last batch was being
written keeps the cost per item small without delaying a lone item at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")
# Far inside either database's limit on bound parameters in one statement (SQLite 32,766,
# PostgreSQL 32,767) for rows of a few columns.
MOST_IN_A_BATCH = 500


class GroupCommit(Generic[Item]):
    """`await add(item)` returns once `write` has committed a batch holding `item`, and raises
    what `write` raised for that batch."""

    def __init__(
        self, write: Callable[[list[Item]], Awaitable[None]], most: int = MOST_IN_A_BATCH
    ) -> None:
        self.write = write
        self.most = most
        self._waiting: list[tuple[Item, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def add(self, item: Item) -> None:
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches())
        await written

    async def _write_batches(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[: self.most], self._waiting[self.most :]
            try:
                await self.write([item for item, _ in batch])
            except Exception as error:
                for _, written in batch:
                    if not written.done():
                        written.set_exception(error)
            else:
                for _, written in batch:
                    if not written.done():
                        written.set_result(None)
