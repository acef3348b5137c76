"""The outbox: written once by dedupe key, sent once by any number of senders, retried, parked."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot import demo, outbox
from bot.clock import FixedClock
from bot.messages import Button, Fact, Item, Reply
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.tables import Delivery
from tests.conftest import Chat

NUDGE = Reply(
    text="PL-2027-0001 starts in 14 days and is not confirmed.",
    facts=(Fact("Place", "Ward 12, City Hospital"),),
    items=(
        Item(
            "Block",
            (Fact("Students", "2"),),
            (Button("Offer places", "block.offer", "BL-2027-0001"),),
        ),
    ),
    buttons=(Button("Snooze", "nudges.snooze", "2w"),),
)


class Recorder:
    """A channel that keeps what it is asked to send, or fails as told."""

    name = "local"

    def __init__(self, failure: Exception | None = None) -> None:
        self.sent: list[tuple[int, Reply]] = []
        self.failure = failure

    async def send(self, person_id: int, reply: Reply, key: str | None = None) -> None:
        await asyncio.sleep(0)
        if self.failure is not None:
            raise self.failure
        self.sent.append((person_id, reply))


async def queue(chat: Chat, clock: FixedClock, key: str, recipient: int = 1) -> bool:
    async with chat.bot.sessions.begin() as session:
        return await outbox.enqueue(session, recipient, "local", NUDGE, key, clock.now())


async def rows(chat: Chat) -> list[Delivery]:
    async with chat.bot.sessions() as session:
        return list((await session.execute(select(Delivery).order_by(Delivery.id))).scalars())


async def test_a_second_enqueue_with_the_same_key_is_a_no_op(chat: Chat, clock: FixedClock) -> None:
    assert await queue(chat, clock, "nudge:1:2026-11-23") is True
    assert await queue(chat, clock, "nudge:1:2026-11-23") is False
    assert len(await rows(chat)) == 1


async def test_a_delivery_is_sent_once_with_the_reply_intact(chat: Chat, clock: FixedClock) -> None:
    await queue(chat, clock, "nudge:1:a")
    channel = Recorder()
    sender = outbox.Sender(chat.bot.sessions, {"local": channel}, clock)
    assert (await sender.run_once()).sent == 1
    assert (await sender.run_once()).sent == 0
    assert channel.sent == [(1, NUDGE)]
    [row] = await rows(chat)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, clock.now())


async def test_failures_back_off_and_are_parked_after_five_tries(
    chat: Chat, clock: FixedClock
) -> None:
    await queue(chat, clock, "nudge:1:b")
    sender = outbox.Sender(chat.bot.sessions, {"local": Recorder(ConnectionError("down"))}, clock)
    waits = []
    for _ in range(outbox.MAX_ATTEMPTS):
        await sender.run_once()
        [row] = await rows(chat)
        waits.append(row.next_attempt_at - clock.now())
        clock.at = row.next_attempt_at
    [row] = await rows(chat)
    assert (row.status, row.attempts) == ("failed", 5)
    assert "ConnectionError: down" in (row.last_error or "")
    assert waits[:4] == [timedelta(seconds=30 * 2**n) for n in range(4)]


async def test_a_rate_limit_waits_as_long_as_the_platform_asked(
    chat: Chat, clock: FixedClock
) -> None:
    await queue(chat, clock, "nudge:1:c")
    sender = outbox.Sender(chat.bot.sessions, {"local": Recorder(outbox.RateLimited(7))}, clock)
    outcome = await sender.run_once()
    [row] = await rows(chat)
    assert outcome.retried == 1
    assert (row.status, row.next_attempt_at) == ("pending", clock.now() + timedelta(seconds=7))


async def test_a_dead_senders_lease_runs_out_and_the_row_is_sent_later(
    chat: Chat, clock: FixedClock
) -> None:
    await queue(chat, clock, "nudge:1:d")
    async with chat.bot.sessions.begin() as session:
        assert len(await outbox.claim(session, clock.now(), 10)) == 1  # then the sender dies
    channel = Recorder()
    sender = outbox.Sender(chat.bot.sessions, {"local": channel}, clock)
    assert (await sender.run_once()).sent == 0
    clock.at += outbox.LEASE
    assert (await sender.run_once()).sent == 1


async def test_concurrent_senders_never_send_a_delivery_twice(
    chat: Chat, clock: FixedClock
) -> None:
    for n in range(40):
        await queue(chat, clock, f"digest:{n}", recipient=1 + n % 7)
    channel = Recorder()
    senders = [
        outbox.Sender(chat.bot.sessions, {"local": channel}, clock, batch=7) for _ in range(4)
    ]
    for _ in range(4):
        await asyncio.gather(*(sender.run_once() for sender in senders))
    assert len(channel.sent) == 40
    assert {row.status for row in await rows(chat)} == {"sent"}


async def test_a_missing_channel_is_recorded_not_raised(chat: Chat, clock: FixedClock) -> None:
    await queue(chat, clock, "nudge:1:e")
    outcome = await outbox.Sender(chat.bot.sessions, {}, clock).run_once()
    [row] = await rows(chat)
    assert outcome.retried == 1
    assert row.last_error == "no local channel is configured"


def test_placebot_deliveries_lists_the_outbox(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from adapters import cli

    monkeypatch.setenv("DATABASE_URL", database_url)
    assert cli.main(["deliveries"]) == 0
    assert "The outbox is empty." in capsys.readouterr().out

    async def failed_one() -> None:
        engine = make_engine(database_url)
        sessions = make_sessionmaker(engine)
        clock = FixedClock(at=datetime(2026, 11, 23, 10, tzinfo=UTC))
        async with sessions.begin() as session:
            await demo.load(session, clock, Settings(database_url=database_url, _env_file=None))  # type: ignore[call-arg]
            await outbox.enqueue(session, 1, "teams", NUDGE, "nudge:1:x", clock.now())
            await outbox.enqueue(session, 2, "local", NUDGE, "nudge:2:x", clock.now())
        sender = outbox.Sender(sessions, {"local": Recorder()}, clock)
        for _ in range(outbox.MAX_ATTEMPTS):
            await sender.run_once()
            clock.at += timedelta(hours=1)
        await engine.dispose()

    asyncio.run(failed_one())
    assert cli.main(["deliveries"]) == 0
    listed = capsys.readouterr().out
    assert "sent" in listed and "nudge:2:x" in listed
    assert cli.main(["deliveries", "--failed"]) == 0
    failed = capsys.readouterr().out
    assert "nudge:1:x" in failed and "no teams channel is configured" in failed
    assert "nudge:2:x" not in failed


async def test_a_sender_whose_lease_ran_out_does_not_send_what_another_took(
    chat: Chat, clock: FixedClock
) -> None:
    await queue(chat, clock, "nudge:1:f")
    slow, quick = Recorder(), Recorder()
    async with chat.bot.sessions.begin() as session:
        [row] = await outbox.claim(session, clock.now(), 10)  # the slow sender's claim
        held = row.next_attempt_at
    clock.at += outbox.LEASE  # it stalls past its lease; another sender claims and sends
    assert (await outbox.Sender(chat.bot.sessions, {"local": quick}, clock).run_once()).sent == 1
    slow_sender = outbox.Sender(chat.bot.sessions, {"local": slow}, clock)
    assert await slow_sender._renew(row.id, held) is None  # the slow one finds it gone
    assert (len(quick.sent), len(slow.sent)) == (1, 0)
