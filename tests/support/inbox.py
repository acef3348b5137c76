"""What each person received: the real jobs queue, the real Sender delivers, channels record.

In the spirit of errbot's test backend: a test runs a job by its schedule name and reads what
reached whom, instead of reading outbox rows.

    await inbox.run("digests-weekly", at=SLOT)
    [digest] = inbox.of(lead)
    assert digest.reply.text.startswith("Placement digest for University A.")
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.localchat.channel import LocalChannel
from bot.delivery.sender import Sender
from bot.jobs import schedules
from bot.kernel.clock import Clock
from bot.kernel.jobs import JobContext
from bot.kernel.messages import Reply
from config.settings import Settings
from storage.tables import Person

CHANNELS = ("local", "slack", "teams", "email")


@dataclass(frozen=True)
class Received:
    """One message as it reached a person: through which channel, under which key, and when."""

    person_id: int
    channel: str
    key: str | None
    reply: Reply
    at: datetime

    @property
    def text(self) -> str:
        return self.reply.text


class Recorder:
    """A `Channel` that keeps what it is handed. The local one first does what the real local
    channel does (a person with no local identity is unreachable); the others only record."""

    def __init__(self, name: str, inbox: Inbox, real: LocalChannel | None = None) -> None:
        self.name = name
        self.inbox = inbox
        self.real = real

    async def send(self, person_id: int, reply: Reply, key: str | None = None) -> None:
        if self.real is not None:
            await self.real.send(person_id, reply, key)
        self.inbox.received.append(
            Received(person_id, self.name, key, reply, self.inbox.clock.now())
        )


class Inbox:
    """Runs the scheduled jobs on the test's database and clock, delivers, and keeps receipts."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock, settings: Settings
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings
        self.received: list[Received] = []
        self.channels = {
            name: Recorder(name, self, LocalChannel(sessions) if name == "local" else None)
            for name in CHANNELS
        }

    async def run(
        self,
        job: str,
        at: datetime | None = None,
        deliver: bool = True,
        settings: Settings | None = None,
    ) -> str:
        """Run one scheduled job (`nudges`, `digests-daily`, `digests-weekly`, `summary`) for
        the slot `at` (default: now), then deliver what is due, as the worker would; the job's
        own summary line. With `deliver=False` what it queued waits for `deliver()`."""
        settings = settings or self.settings
        jobs = {schedule.name: schedule.job for schedule in schedules(settings)}
        if job not in jobs:
            raise KeyError(f"no job {job!r}; the jobs are {', '.join(jobs)}")
        ctx = JobContext(self.sessions, self.clock, settings)
        result = await jobs[job](ctx, at or self.clock.now())
        if deliver:
            await self.deliver()
        return result

    async def deliver(self) -> list[Received]:
        """What the worker's Sender does now: every due message goes; the ones that arrived."""
        before = len(self.received)
        sender = Sender(self.sessions, self.channels, self.clock)
        while (await sender.run_once()).claimed:
            pass
        return self.received[before:]

    def of(self, person: Person | int) -> list[Received]:
        """What reached this person, in the order it arrived."""
        person_id = person if isinstance(person, int) else person.id
        return [got for got in self.received if got.person_id == person_id]

    def texts(self, person: Person | int) -> list[str]:
        return [got.text for got in self.of(person)]

    def last(self, person: Person | int) -> Reply:
        """The latest message that reached this person."""
        found = self.of(person)
        if not found:
            raise AssertionError(f"nothing reached person {person}; received: {self.received}")
        return found[-1].reply

    def by_key(self) -> dict[str | None, Received]:
        """Everything received, by the key it was sent under."""
        return {got.key: got for got in self.received}

    def people(self) -> list[int]:
        """Who received something, in the order it arrived."""
        return [got.person_id for got in self.received]
