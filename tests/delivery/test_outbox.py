"""The outbox: written once by dedupe key, sent once by any number of senders, retried, parked."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import demo
from bot.delivery import outcomes
from bot.delivery import queue as outbox
from bot.delivery import sender as sending
from bot.delivery.pacing import Pacing
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Button, Fact, Item, Reply
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.tables import Delivery
from tests.support.chat import Chat

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
    sender = sending.Sender(chat.bot.sessions, {"local": channel}, clock)
    assert (await sender.run_once()).sent == 1
    assert (await sender.run_once()).sent == 0
    assert channel.sent == [(1, NUDGE)]
    [row] = await rows(chat)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, clock.now())


async def test_failures_back_off_and_are_parked_after_five_tries(
    chat: Chat, clock: FixedClock
) -> None:
    await queue(chat, clock, "nudge:1:b")
    sender = sending.Sender(chat.bot.sessions, {"local": Recorder(ConnectionError("down"))}, clock)
    waits = []
    for _ in range(outcomes.MAX_ATTEMPTS):
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
    sender = sending.Sender(chat.bot.sessions, {"local": Recorder(sending.RateLimited(7))}, clock)
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
    sender = sending.Sender(chat.bot.sessions, {"local": channel}, clock)
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
        sending.Sender(chat.bot.sessions, {"local": channel}, clock, batch=7) for _ in range(4)
    ]
    for _ in range(4):
        await asyncio.gather(*(sender.run_once() for sender in senders))
    assert len(channel.sent) == 40
    assert {row.status for row in await rows(chat)} == {"sent"}


async def test_a_missing_channel_is_recorded_not_raised(chat: Chat, clock: FixedClock) -> None:
    await queue(chat, clock, "nudge:1:e")
    outcome = await sending.Sender(chat.bot.sessions, {}, clock).run_once()
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
        sender = sending.Sender(sessions, {"local": Recorder()}, clock)
        for _ in range(outcomes.MAX_ATTEMPTS):
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
    clock.at += outbox.LEASE  # it stalls past its lease; another sender claims and sends
    assert (await sending.Sender(chat.bot.sessions, {"local": quick}, clock).run_once()).sent == 1
    slow_sender = sending.Sender(chat.bot.sessions, {"local": slow}, clock)
    lease = sending.Lease({row.id}, row.held)
    assert await slow_sender._still_ours(row, lease) is False  # the slow one finds it gone
    assert (len(quick.sent), len(slow.sent)) == (1, 0)


class Gate(Recorder):
    """A channel whose sends wait until `opens` of them are in flight together, or until
    `release` is set; counts how many were ever in flight at once."""

    def __init__(self, opens: int = 0, failure: Exception | None = None) -> None:
        super().__init__(failure)
        self.opens = opens
        self.in_flight = 0
        self.most = 0
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def send(self, person_id: int, reply: Reply, key: str | None = None) -> None:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        self.entered.set()
        if self.in_flight == self.opens:
            self.release.set()
        await self.release.wait()
        self.in_flight -= 1
        await super().send(person_id, reply, key)


async def test_sends_go_concurrently_up_to_the_limit(chat: Chat, clock: FixedClock) -> None:
    for n in range(10):
        await queue(chat, clock, f"nudge:{n}:g", recipient=1 + n % 7)
    channel = Gate(opens=4)  # with one send at a time this would wait for ever
    sender = sending.Sender(chat.bot.sessions, {"local": channel}, clock, concurrency=4)
    async with asyncio.timeout(30):
        outcome = await sender.run_once()
    assert (outcome.claimed, outcome.sent, channel.most) == (10, 10, 4)
    assert {row.status for row in await rows(chat)} == {"sent"}


async def test_a_429_puts_the_row_back_and_slows_its_channel_for_every_send(
    chat: Chat, clock: FixedClock
) -> None:
    async with chat.bot.sessions.begin() as session:
        for n in range(4):
            await outbox.enqueue(session, 1 + n, "slack", NUDGE, f"nudge:{n}:h", clock.now())
        for n in range(2):
            await outbox.enqueue(session, 1 + n, "local", NUDGE, f"digest:{n}:h", clock.now())
    slack = Recorder()
    slack.name = "slack"
    limited_once = [sending.RateLimited(30)]

    async def send(person_id: int, reply: Reply, key: str | None = None) -> None:
        if limited_once:
            raise limited_once.pop()
        slack.sent.append((person_id, reply))

    slack.send = send  # type: ignore[method-assign]
    local = Recorder()
    pacing = Pacing({"slack": 100})
    sender = sending.Sender(
        chat.bot.sessions, {"slack": slack, "local": local}, clock, concurrency=1, pacing=pacing
    )
    outcome = await sender.run_once()
    assert (outcome.sent, outcome.retried, outcome.deferred) == (2, 1, 3)
    assert (slack.sent, len(local.sent)) == ([], 2)
    pace = pacing.of("slack")
    assert (pace.limited, pace.rate) == (1, 50)  # half the rate after the pause, for everyone
    assert pace.pause_left() > 0 and pacing.paused() == ["slack"]
    waiting = [row for row in await rows(chat) if row.channel == "slack"]
    assert {(row.status, row.attempts) for row in waiting} == {("pending", 0)}
    assert [row.next_attempt_at for row in waiting].count(clock.now() + timedelta(seconds=30)) == 1
    assert all(row.next_attempt_at > clock.now() + sending.DEFER_AFTER for row in waiting)
    clock.at += timedelta(minutes=1)
    async with chat.bot.sessions.begin() as session:  # a paused channel's rows stay put
        assert await outbox.claim(session, clock.now(), 10, skip_channels=pacing.paused()) == []


async def test_a_server_error_backs_off_and_the_next_try_asks_first(
    chat: Chat, clock: FixedClock
) -> None:
    await queue(chat, clock, "nudge:1:i")
    channel = Checking(ConnectionError("502 Bad Gateway"))
    sender = sending.Sender(chat.bot.sessions, {"local": channel}, clock)
    assert (await sender.run_once()).retried == 1
    [row] = await rows(chat)
    assert (row.status, row.attempts, row.maybe_sent) == ("pending", 1, True)
    assert row.next_attempt_at == clock.now() + outcomes.FIRST_RETRY
    channel.failure = None
    channel.arrived.add("nudge:1:i")  # the 502 came after the platform had it
    clock.at = row.next_attempt_at
    assert (await sender.run_once()).sent == 1
    [row] = await rows(chat)
    assert (row.status, row.attempts, row.maybe_sent, channel.sent) == ("sent", 2, False, [])
    assert channel.asked == ["nudge:1:i"]


class Checking(Recorder):
    """A channel that can tell whether a key arrived (as Slack can from message metadata)."""

    def __init__(self, failure: Exception | None = None) -> None:
        super().__init__(failure)
        self.arrived: set[str] = set()
        self.asked: list[str] = []

    async def send(self, person_id: int, reply: Reply, key: str | None = None) -> None:
        await super().send(person_id, reply, key)
        self.arrived.add(key or "")

    async def delivered(self, person_id: int, key: str) -> bool:
        self.asked.append(key)
        return key in self.arrived


async def test_a_dead_senders_rows_are_checked_and_sent_only_where_missing(
    chat: Chat, clock: FixedClock
) -> None:
    for n in range(4):
        await queue(chat, clock, f"nudge:{n}:j", recipient=1 + n)
    channel = Checking()
    async with chat.bot.sessions.begin() as session:
        claimed = await outbox.claim(session, clock.now(), 10)  # then the sender dies...
    assert not any(row.maybe_sent for row in claimed)
    channel.arrived |= {"nudge:0:j", "nudge:1:j"}  # ...having sent two of them
    clock.at += outbox.LEASE
    outcome = await sending.Sender(chat.bot.sessions, {"local": channel}, clock).run_once()
    assert outcome.sent == 4
    assert sorted(channel.asked) == [f"nudge:{n}:j" for n in range(4)]
    assert sorted(key for key in channel.arrived) == [f"nudge:{n}:j" for n in range(4)]
    assert [person for person, _reply in channel.sent] == [3, 4]  # only the two missing
    assert {(row.status, row.maybe_sent) for row in await rows(chat)} == {("sent", False)}


async def test_a_stalled_sender_never_records_over_the_row_another_sender_took(
    chat: Chat, clock: FixedClock
) -> None:
    await queue(chat, clock, "nudge:1:k")
    stalled = Gate(failure=ConnectionError("reset"))
    slow = asyncio.create_task(
        sending.Sender(chat.bot.sessions, {"local": stalled}, clock).run_once()
    )
    await stalled.entered.wait()  # mid-send, its lease runs out
    clock.at += outbox.LEASE
    quick = Recorder()
    assert (await sending.Sender(chat.bot.sessions, {"local": quick}, clock).run_once()).sent == 1
    stalled.release.set()  # the stalled send now fails, too late to be recorded
    await slow
    [row] = await rows(chat)
    assert (row.status, row.attempts, row.last_error, row.sent_at) == ("sent", 1, None, clock.now())
    assert len(quick.sent) == 1


async def test_a_long_claim_renews_its_lease_so_no_other_sender_takes_its_rows(
    chat: Chat, clock: FixedClock
) -> None:
    for n in range(6):
        await queue(chat, clock, f"nudge:{n}:l", recipient=1 + n)
    lease = timedelta(seconds=30)
    other = sending.Sender(chat.bot.sessions, {"local": Recorder()}, clock, lease=lease)
    stolen: list[int] = []

    class Slow(Recorder):
        async def send(self, person_id: int, reply: Reply, key: str | None = None) -> None:
            clock.at += lease / 2  # each send takes half a lease
            stolen.append((await other.run_once()).claimed)
            await super().send(person_id, reply, key)

    channel = Slow()
    sender = sending.Sender(
        chat.bot.sessions, {"local": channel}, clock, lease=lease, concurrency=1
    )
    assert (await sender.run_once()).sent == 6
    assert stolen == [0] * 6 and len(channel.sent) == 6
    assert {(row.status, row.attempts) for row in await rows(chat)} == {("sent", 1)}


async def test_outcomes_are_written_per_batch_not_per_message(
    chat: Chat, clock: FixedClock, engine: AsyncEngine
) -> None:
    for n in range(60):
        await queue(chat, clock, f"digest:{n}:m", recipient=1 + n % 7)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        outcome = await sending.Sender(
            chat.bot.sessions, {"local": Recorder()}, clock, batch=60
        ).run_once()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert outcome.sent == 60
    assert len(statements) <= 1 + math.ceil(60 / sending.FLUSH_EVERY) + 1


async def test_rows_past_their_expiry_are_marked_expired_in_one_statement_never_sent(
    chat: Chat, clock: FixedClock, engine: AsyncEngine
) -> None:
    now = clock.now()
    async with chat.bot.sessions.begin() as session:
        await outbox.enqueue_many(
            session,
            [
                outbox.Outgoing(
                    1 + n % 7, "local", NUDGE, f"nudge:{n}:late", expires_at=now - timedelta(1)
                )
                for n in range(30)
            ]
            + [outbox.Outgoing(1, "local", NUDGE, "nudge:1:in-time", expires_at=now + timedelta(1))]
            + [outbox.Outgoing(2, "local", NUDGE, "digest:2:no-expiry")],
            now - timedelta(hours=1),
        )
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")):
            statements.append(statement)

    channel = Recorder()
    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        outcome = await sending.Sender(chat.bot.sessions, {"local": channel}, clock).run_once()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert (outcome.claimed, outcome.sent) == (2, 2)
    assert sorted(person for person, _ in channel.sent) == [1, 2]
    statuses = {row.dedupe_key: row.status for row in await rows(chat)}
    assert {k for k, s in statuses.items() if s == "expired"} == {
        f"nudge:{n}:late" for n in range(30)
    }
    assert statuses["nudge:1:in-time"] == statuses["digest:2:no-expiry"] == "sent"
    assert len(statements) == 3  # expire, claim, record: none per row


async def test_a_message_to_a_person_goes_where_they_are_reached_and_no_one_is_guessed(
    chat: Chat, clock: FixedClock
) -> None:
    """`tell` picks the channel: the preferred one if it reaches them, else where they talk to
    the bot (Slack before Teams before local), else email; the unreachable are skipped."""
    from bot.delivery.tell import ForPerson, tell, tell_many
    from storage.tables import Identity, Person

    now = clock.now()
    async with chat.bot.sessions.begin() as session:
        people = {
            name: Person(
                display_name=name, email=email, preferred_channel=preferred, created_at=now
            )
            for name, email, preferred in (
                ("on slack and teams", None, None),
                ("prefers email", "lead@uni.example", "email"),
                ("prefers local but is not there", None, "local"),
                ("nowhere", None, None),
            )
        }
        session.add_all(people.values())
        await session.flush()
        for platform in ("teams", "slack"):
            session.add(
                Identity(
                    person_id=people["on slack and teams"].id,
                    platform=platform,
                    tenant="T1",
                    external_id=f"{platform}-1",
                )
            )
        session.add(
            Identity(
                person_id=people["prefers local but is not there"].id,
                platform="teams",
                tenant="T1",
                external_id="teams-2",
            )
        )
        ids = {name: person.id for name, person in people.items()}
        told = await tell_many(
            session, [ForPerson(pid, NUDGE, f"t:{pid}") for pid in ids.values()], now
        )
        again = await tell(session, ids["prefers email"], NUDGE, f"t:{ids['prefers email']}", now)
    assert [m.person_id for m in told.unreachable] == [ids["nowhere"]]
    assert not told.reached and told.already == ()
    assert again.reached and again.queued == () and len(again.already) == 1
    channels = {row.recipient_id: row.channel for row in await rows(chat)}
    assert channels == {
        ids["on slack and teams"]: "slack",
        ids["prefers email"]: "email",
        ids["prefers local but is not there"]: "teams",
    }
