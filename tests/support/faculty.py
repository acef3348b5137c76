"""The nudge tests' faculty: one HEI, one provider with two teams, a faculty lead, and whoever a
test adds, all known by a short name ("physio", "stroke"); the scan, the inbox and the clock.

A pytest plugin (listed in tests/conftest.py): `faculty` is a fixture, on a clock set to Monday
23 November 2026, 09:30 in London, when the scan runs. Rows come from the shared Builder; what
people received comes from the Inbox.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Button, Reply
from bot.nudges import outcomes as nudge_outcomes
from config.settings import Settings
from storage.engine import make_sessionmaker
from storage.tables import Delivery, Nudge, Person, PlacementBlock, PlacementOffer
from tests.support.builder import Builder
from tests.support.chat import Chat
from tests.support.inbox import Inbox, Received

# Monday 23 November 2026, 09:30 in London (GMT): when the scan runs.
SCAN = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
MONDAY = date(2026, 11, 23)


class Faculty:
    """A small faculty built for each test, its people and records by name."""

    def __init__(self, engine: AsyncEngine, settings: Settings, clock: FixedClock) -> None:
        self.sessions = make_sessionmaker(engine)
        self.settings = settings
        self.clock = clock
        self.build = Builder(self.sessions, clock)
        self.inbox = Inbox(self.sessions, clock, settings)
        self.chat = Chat(PlaceBot(self.sessions, settings, clock))
        self.named: dict[str, Any] = {}  # organisations, teams and people by their short name
        self.ids: dict[str, int] = {}
        self.blocks: dict[str, PlacementBlock] = {}
        self.offers: dict[str, PlacementOffer] = {}

    def _name(self, key: str, row: Any) -> None:
        self.named[key] = row
        self.ids[key] = row.id

    async def setup(self) -> None:
        self._name("hei", await self.build.hei("University of Nottingham"))
        trust = await self.build.provider("City Hospitals Trust")
        self._name("trust", trust)
        self._name("stroke", await self.build.team(trust, "Stroke Rehab", professions=("PT",)))
        self._name("community", await self.build.team(trust, "Community OT", professions=("OT",)))
        await self.person("lead", "faculty_lead", organisation=None)

    # The register

    async def add(self, *rows: Any) -> None:
        await self.build.add(*rows)

    async def person(
        self,
        key: str,
        *roles: str,
        team: str | None = None,
        organisation: str | None = "trust",
        reachable: bool = True,
        **preferences: Any,
    ) -> int:
        """A clinician (unless other roles are given) of the trust, reached in the local chat as
        `key` and called by it ("quiet" is "Quiet")."""
        person = await self.build.person(
            key.replace("-", " ").title(),
            *(roles or ("clinician",)),
            organisation=self.named[organisation] if organisation else None,
            team=self.named[team] if team else None,
            handle=key,
            reachable=reachable,
            **preferences,
        )
        self._name(key, person)
        return person.id

    async def block(
        self, profession: str = "PT", closes_in: int = 10, students: int = 6, cohort: str = ""
    ) -> str:
        """The HEI's block whose offers close in `closes_in` days; three weeks later it starts."""
        close = MONDAY + timedelta(days=closes_in)
        start = close + timedelta(days=21)
        block = await self.build.block(
            self.named["hei"],
            profession,
            start,
            students,
            close,
            end=start + timedelta(weeks=6),
            cohort=cohort or f"{profession} year 2 block {self.build.number()}",
            ref_year=2027,
        )
        self.blocks[block.ref] = block
        return block.ref

    async def offer(
        self,
        poster: str,
        starts_in: int = 10,
        status: str = "offered",
        team: str | None = "stroke",
        block: str | None = None,
        capacity: int = 2,
    ) -> str:
        """A six-week PT offer of the trust starting in `starts_in` days, posted by `poster`."""
        start = MONDAY + timedelta(days=starts_in)
        offer = await self.build.offer(
            "PT",
            start,
            start + timedelta(weeks=6),
            capacity,
            status,
            team=self.named[team] if team else None,
            block=self.blocks[block] if block else None,
            poster=self.named[poster],
            provider=self.named["trust"],
            place="Stroke Rehab, City Hospital",
            ref_year=2027,
        )
        self.offers[offer.ref] = offer
        return offer.ref

    async def request(self, ref: str, students: int = 1) -> None:
        """The HEI asks for places on the offer, which is then `requested`."""
        await self.build.request(self.offers[ref], self.named["hei"], students, marks_offer=True)

    async def training(
        self, title: str, in_days: float, professions: tuple[str, ...] = ("PT",)
    ) -> str:
        """Training at 10:00 (UTC) `in_days` from now; its uid."""
        starts = self.clock.now().replace(hour=10, minute=0) + timedelta(days=in_days)
        return (await self.build.training(title, starts, professions)).uid

    # The jobs, the outbox and the clock

    async def scan(self) -> str:
        """The nudge scan; what it queues waits for `deliver()`."""
        return await self.inbox.run("nudges", deliver=False)

    async def deliver(self) -> list[Received]:
        """What the worker's sender does now: every due message reaches its person."""
        return await self.inbox.deliver()

    def received(self, who: str) -> list[Received]:
        """What reached this person so far."""
        return self.inbox.of(self.ids[who])

    def last_message(self, who: str) -> Reply:
        return self.inbox.last(self.ids[who])

    def sent_to(self, who: str) -> list[str | None]:
        """The keys of the messages that reached this person."""
        return [got.key for got in self.received(who)]

    async def settle(self) -> None:
        """What the next scan does first: settle the open nudges, and nothing else."""
        async with self.sessions.begin() as session:
            await nudge_outcomes.settle(session, self.clock, self.settings)

    async def next_working_day(self, hour: int = 9, minute: int = 30) -> None:
        """On to the next weekday's scan time, in London."""
        day = self.clock.today() + timedelta(days=1)
        while day.isoweekday() > 5:
            day += timedelta(days=1)
        local = datetime.combine(day, time(hour, minute), tzinfo=self.clock.zone)
        self.clock.at = local.astimezone(UTC)

    # Reading the tables

    async def rows(self, table: Any, *where: Any) -> list[Any]:
        async with self.sessions() as session:
            found = await session.execute(select(table).where(*where).order_by(table.id))
            return list(found.unique().scalars())

    async def nudges(self, who: str | None = None) -> list[Nudge]:
        where = [Nudge.person_id == self.ids[who]] if who else []
        return await self.rows(Nudge, *where)

    async def outbox(self, who: str) -> list[Delivery]:
        """This person's outbox rows: when the outbox will send them, and whether it did or
        dropped them (what they received is `received`)."""
        return await self.rows(Delivery, Delivery.recipient_id == self.ids[who])

    async def person_row(self, who: str) -> Person:
        [person] = await self.rows(Person, Person.id == self.ids[who])
        return person


@pytest.fixture
async def faculty(engine: AsyncEngine, settings: Settings, clock: FixedClock) -> Faculty:
    clock.at = SCAN
    built = Faculty(engine, settings, clock)
    await built.setup()
    return built


def labels(reply: Reply) -> list[str]:
    return [button.label for button in reply.buttons]


def the_button(reply: Reply, label: str) -> Button:
    return next(b for b in reply.buttons if b.label.startswith(label))


def facts(reply: Reply) -> dict[str, str]:
    return {fact.label: fact.value for fact in reply.facts}
