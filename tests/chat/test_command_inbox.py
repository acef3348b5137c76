"""The command inbox keeps a command before its acknowledgement and hands it to one process at
a time: a claim is a lease, given back at a stop, taken again when its holder died. SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.chat.inbox import LEASE, CommandInbox
from bot.kernel.clock import FixedClock
from storage.engine import make_sessionmaker


def inbox_on(engine: AsyncEngine, clock: FixedClock, edge: str = "slack") -> CommandInbox:
    return CommandInbox(make_sessionmaker(engine), clock, edge)


async def test_a_command_delivered_twice_is_kept_once(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    inbox = inbox_on(engine, clock)
    await inbox.keep([("slack:command:t1", {"text": "offer physio", "trigger_id": "t1"})])
    await inbox.keep([("slack:command:t1", {"text": "offer physio", "trigger_id": "t1"})])
    [(_, body)] = await inbox.claim(10)
    assert body == {"text": "offer physio", "trigger_id": "t1"}
    assert await inbox.depth() == {"waiting": 0, "claimed": 1}


async def test_a_claimed_command_is_taken_by_no_one_else_until_its_lease_ends(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    first, second = inbox_on(engine, clock), inbox_on(engine, clock)
    for n in range(3):
        await first.keep([(f"k{n}", {"n": n})])
    taken = await first.claim(2)
    assert [body["n"] for _, body in taken] == [0, 1]  # oldest first
    assert [body["n"] for _, body in await second.claim(10)] == [2]
    assert await second.claim(10) == []
    clock.at += LEASE - timedelta(seconds=1)
    await first.renew([row_id for row_id, _ in taken])  # still working on them
    clock.at += timedelta(seconds=2)  # the lease on 2 has run out, not those renewed
    assert [body["n"] for _, body in await second.claim(10)] == [2]
    clock.at += LEASE - timedelta(seconds=1)  # the holder died: its rows are free again
    assert sorted(body["n"] for _, body in await second.claim(10)) == [0, 1]


async def test_a_stopping_process_gives_back_what_it_did_not_start(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    stopping, other = inbox_on(engine, clock), inbox_on(engine, clock)
    await stopping.keep([("k", {"n": 1})])
    [(row_id, _)] = await stopping.claim(1)
    await stopping.give_back([row_id])
    assert [body for _, body in await other.claim(1)] == [{"n": 1}]  # at once, no lease wait


async def test_the_only_process_on_a_database_takes_back_claims_left_at_start(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    died = inbox_on(engine, clock)
    await died.keep([("a", {"n": 1}), ("b", {"n": 2})])
    await died.claim(10)
    restarted = inbox_on(engine, clock)
    assert await restarted.give_back_all() == 2
    assert len(await restarted.claim(10)) == 2


async def test_a_finished_command_leaves_the_inbox(engine: AsyncEngine, clock: FixedClock) -> None:
    inbox = inbox_on(engine, clock)
    await inbox.keep([("k", {"n": 1})])
    [(row_id, _)] = await inbox.claim(1)
    await inbox.done([row_id])
    clock.at += LEASE * 2
    assert await inbox.claim(10) == []
    assert await inbox.depth() == {"waiting": 0, "claimed": 0}


async def test_each_edge_works_its_own_commands(engine: AsyncEngine, clock: FixedClock) -> None:
    slack, teams = inbox_on(engine, clock, "slack"), inbox_on(engine, clock, "teams")
    await slack.keep([("slack:1", {"n": 1})])
    assert await teams.claim(10) == []
    assert await teams.depth() == {"waiting": 0, "claimed": 0}
    assert await slack.depth() == {"waiting": 1, "claimed": 0}
