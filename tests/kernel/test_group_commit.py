"""A group commit writes what arrived together in one batch, at most `most` at a time, and each
caller learns how its own batch went."""

from __future__ import annotations

import asyncio

import pytest

from bot.kernel.group_commit import GroupCommit


async def test_items_arriving_while_a_batch_is_written_go_in_the_next() -> None:
    batches: list[list[int]] = []
    release = asyncio.Event()

    async def write(items: list[int]) -> None:
        batches.append(items)
        if len(batches) == 1:
            await release.wait()  # the first batch is slow: the rest queue behind it

    group = GroupCommit(write, most=3)
    first = asyncio.create_task(group.add(0))
    await asyncio.sleep(0)
    rest = [asyncio.create_task(group.add(n)) for n in range(1, 6)]
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, *rest)
    assert batches == [[0], [1, 2, 3], [4, 5]]


async def test_a_failed_batch_fails_only_its_own_callers() -> None:
    async def write(items: list[str]) -> None:
        if "bad" in items:
            raise RuntimeError("the database is away")

    group = GroupCommit(write)
    with pytest.raises(RuntimeError):
        await group.add("bad")
    await group.add("good")  # a later batch is written as usual
