"""A sender that stops gives its claim back at once: rows not tried are due again now, for any
sender, and a try cut short is marked maybe sent, so the next sender asks the channel first."""

from __future__ import annotations

import asyncio

from bot.delivery import sender as sending
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Reply
from tests.delivery.test_outbox import queue, rows
from tests.support.chat import Chat


class Stuck:
    """A channel whose first send never returns; the others go through."""

    name = "local"

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.sent: list[str] = []

    async def send(self, person_id: int, reply: Reply, key: str | None = None) -> None:
        if not self.started.is_set():
            self.started.set()
            await asyncio.Event().wait()
        self.sent.append(str(key))


async def test_a_sender_cancelled_mid_send_gives_every_row_back_the_cut_one_in_doubt(
    chat: Chat, clock: FixedClock
) -> None:
    for n in range(5):
        await queue(chat, clock, f"nudge:{n}")
    channel = Stuck()
    first = sending.Sender(chat.bot.sessions, {"local": channel}, clock, concurrency=1)
    running = asyncio.create_task(first.run_once())
    await asyncio.wait_for(channel.started.wait(), 10)
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)

    left = await rows(chat)
    assert {row.status for row in left} == {"pending"}
    assert all(row.next_attempt_at <= clock.now() for row in left)  # due now, not after a lease
    assert [row.dedupe_key for row in left if row.maybe_sent] == ["nudge:0"]

    second = sending.Sender(chat.bot.sessions, {"local": channel}, clock)
    assert (await second.run_once()).sent == 5
    assert sorted(channel.sent) == [f"nudge:{n}" for n in range(5)]


async def test_a_stopped_sender_finishes_the_send_in_hand_and_gives_back_the_rest(
    chat: Chat, clock: FixedClock
) -> None:
    for n in range(5):
        await queue(chat, clock, f"nudge:{n}")
    release, sending_one = asyncio.Event(), asyncio.Event()
    sent: list[str] = []

    class Slow:
        name = "local"

        async def send(self, person_id: int, reply: Reply, key: str | None = None) -> None:
            sent.append(str(key))
            sending_one.set()
            await release.wait()

    first = sending.Sender(chat.bot.sessions, {"local": Slow()}, clock, concurrency=1)
    running = asyncio.create_task(first.run_once())
    await asyncio.wait_for(sending_one.wait(), 10)
    first.stop()
    release.set()
    outcome = await running
    assert outcome.sent == 1 and sent == ["nudge:0"]
    by_key = {row.dedupe_key: row for row in await rows(chat)}
    assert by_key["nudge:0"].status == "sent"
    assert {by_key[f"nudge:{n}"].status for n in range(1, 5)} == {"pending"}
    assert not any(row.maybe_sent for row in by_key.values())
