"""Nudges: the right reminder to the right person, once a day at most, in working hours, and
never again after three were ignored. Every test reads the outbox and the nudges table."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.chat.placebot import PlaceBot
from bot.delivery import queue as outbox
from bot.delivery import sender as sending
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Button, Reply
from bot.kernel.professions import join_codes
from bot.nudges import outcomes as nudge_outcomes
from bot.nudges import plan as nudge_plan
from bot.nudges import scan as nudges
from bot.runtime.schedule import JobContext
from config.settings import Settings
from storage.engine import make_sessionmaker
from storage.tables import (
    AuditEvent,
    CapacityAnswer,
    Delivery,
    Identity,
    Nudge,
    Organisation,
    Person,
    PlacementBlock,
    PlacementOffer,
    PlacementRequest,
    RoleGrant,
    Team,
    TrainingEvent,
)
from tests.conftest import Chat

# Monday 23 November 2026, 09:30 in London (GMT): when the scan runs.
SCAN = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
MONDAY = date(2026, 11, 23)


class World:
    """A small faculty built for each test: one HEI, one provider, teams, people, records."""

    def __init__(self, engine: AsyncEngine, settings: Settings, clock: FixedClock) -> None:
        self.sessions = make_sessionmaker(engine)
        self.settings = settings
        self.clock = clock
        self.chat = Chat(PlaceBot(self.sessions, settings, clock))
        self.counter = itertools.count(1)
        self.ids: dict[str, int] = {}
        self.sent: list[tuple[int, str | None]] = []  # what the senders delivered: person, key

    async def add(self, *records: Any) -> None:
        async with self.sessions.begin() as session:
            session.add_all(records)
            await session.flush()

    async def setup(self) -> None:
        now = self.clock.now()
        hei = Organisation(kind="hei", name="University of Nottingham", created_at=now)
        trust = Organisation(kind="provider", name="City Hospitals Trust", created_at=now)
        await self.add(hei, trust)
        self.ids |= {"hei": hei.id, "trust": trust.id}
        physio = Team(organisation_id=trust.id, name="Stroke Rehab", professions=",PT,")
        ot = Team(organisation_id=trust.id, name="Community OT", professions=",OT,")
        await self.add(physio, ot)
        self.ids |= {"stroke": physio.id, "community": ot.id}
        await self.person("lead", "faculty_lead", organisation=None)

    async def person(
        self,
        key: str,
        *roles: str,
        team: str | None = None,
        organisation: str | None = "trust",
        reachable: bool = True,
        **preferences: Any,
    ) -> int:
        person = Person(
            display_name=key.replace("-", " ").title(),
            organisation_id=self.ids[organisation] if organisation else None,
            team_id=self.ids[team] if team else None,
            created_at=self.clock.now(),
            roles=[RoleGrant(role=role) for role in roles or ("clinician",)],
            **preferences,
        )
        await self.add(person)
        if reachable:
            await self.add(Identity(person_id=person.id, platform="local", external_id=key))
        self.ids[key] = person.id
        return person.id

    async def block(
        self, profession: str = "PT", closes_in: int = 10, students: int = 6, cohort: str = ""
    ) -> str:
        close = MONDAY + timedelta(days=closes_in)
        start = close + timedelta(days=21)
        ref = f"BL-2027-{next(self.counter):04d}"
        await self.add(
            PlacementBlock(
                ref=ref,
                hei_id=self.ids["hei"],
                profession=profession,
                cohort=cohort or f"{profession} year 2 block {next(self.counter)}",
                start_date=start,
                end_date=start + timedelta(weeks=6),
                students=students,
                offers_close=close,
                created_at=self.clock.now(),
                updated_at=self.clock.now(),
            )
        )
        return ref

    async def offer(
        self,
        poster: str,
        starts_in: int = 10,
        status: str = "offered",
        team: str | None = "stroke",
        block: str | None = None,
        capacity: int = 2,
    ) -> str:
        ref = f"PL-2027-{next(self.counter):04d}"
        async with self.sessions.begin() as session:
            block_id = (
                await session.scalar(select(PlacementBlock.id).where(PlacementBlock.ref == block))
                if block
                else None
            )
            start = MONDAY + timedelta(days=starts_in)
            now = self.clock.now()
            session.add(
                PlacementOffer(
                    ref=ref,
                    profession="PT",
                    provider_id=self.ids["trust"],
                    team_id=self.ids[team] if team else None,
                    place_text="Stroke Rehab, City Hospital",
                    start_date=start,
                    end_date=start + timedelta(weeks=6),
                    capacity=capacity,
                    block_id=block_id,
                    release_at=now,
                    status=status,
                    created_by_id=self.ids[poster],
                    updated_by_id=self.ids[poster],
                    created_at=now,
                    updated_at=now,
                )
            )
        return ref

    async def request(self, ref: str, students: int = 1) -> None:
        async with self.sessions.begin() as session:
            offer_id = await session.scalar(
                select(PlacementOffer.id).where(PlacementOffer.ref == ref)
            )
            session.add(
                PlacementRequest(
                    offer_id=offer_id,
                    hei_id=self.ids["hei"],
                    students=students,
                    status="pending",
                    created_at=self.clock.now(),
                )
            )
            await session.execute(
                update(PlacementOffer)
                .where(PlacementOffer.id == offer_id)
                .values(status="requested", version=PlacementOffer.version + 1)
            )

    async def training(
        self, title: str, in_days: float, professions: Iterable[str] = ("PT",)
    ) -> str:
        uid = f"event-{next(self.counter)}"
        starts = self.clock.now().replace(hour=10, minute=0) + timedelta(days=in_days)
        await self.add(
            TrainingEvent(
                uid=uid,
                title=title,
                organiser="University of Nottingham",
                professions=join_codes(tuple(professions)),
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                mode="online",
                booking="https://events.example.org/book",
                created_at=self.clock.now(),
                updated_at=self.clock.now(),
            )
        )
        return uid

    async def scan(self) -> str:
        return await nudges.scan(
            JobContext(self.sessions, self.clock, self.settings), self.clock.now()
        )

    async def rows(self, table: Any, *where: Any) -> list[Any]:
        async with self.sessions() as session:
            found = await session.execute(select(table).where(*where).order_by(table.id))
            return list(found.unique().scalars())

    async def nudges(self, who: str | None = None) -> list[Nudge]:
        where = [Nudge.person_id == self.ids[who]] if who else []
        return await self.rows(Nudge, *where)

    async def deliveries(self, who: str) -> list[Delivery]:
        return await self.rows(Delivery, Delivery.recipient_id == self.ids[who])

    async def last_message(self, who: str) -> Reply:
        return Reply.from_dict((await self.deliveries(who))[-1].message)

    async def person_row(self, who: str) -> Person:
        [person] = await self.rows(Person, Person.id == self.ids[who])
        return person

    async def deliver_all(self) -> None:
        """What the worker's senders do: every due message reaches its person."""

        sent = self.sent

        class Delivered:
            name = "local"

            async def send(self, person_id: int, reply: Reply, key: str | None = None) -> None:
                sent.append((person_id, key))

        sender = sending.Sender(self.sessions, {"local": Delivered()}, self.clock)
        while (await sender.run_once()).claimed:
            pass

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


@pytest.fixture
async def world(engine: AsyncEngine, settings: Settings) -> World:
    built = World(engine, settings, FixedClock(at=SCAN))
    await built.setup()
    return built


def labels(reply: Reply) -> list[str]:
    return [button.label for button in reply.buttons]


def the_button(reply: Reply, label: str) -> Button:
    return next(b for b in reply.buttons if b.label.startswith(label))


def facts(reply: Reply) -> dict[str, str]:
    return {fact.label: fact.value for fact in reply.facts}


# (b) offers that start soon and are not confirmed


async def test_an_unconfirmed_offer_starting_soon_is_nudged_to_whoever_posted_it(
    world: World,
) -> None:
    await world.person("physio", team="stroke", professions=",PT,")
    ref = await world.offer("physio", starts_in=10)
    assert (await world.scan()).startswith("1 nudge queued")
    [nudge] = await world.nudges("physio")
    assert (nudge.kind, nudge.subject, nudge.sent_on, nudge.outcome) == (
        "offer_start",
        ref,
        MONDAY,
        "open",
    )
    [delivery] = await world.deliveries("physio")
    assert (delivery.dedupe_key, delivery.channel, delivery.next_attempt_at) == (
        f"nudge:{world.ids['physio']}:2026-11-23",
        "local",
        SCAN,
    )
    reply = Reply.from_dict(delivery.message)
    assert reply.text.startswith(f"Your placement offer {ref} starts in 10 days")
    assert "No HEI has asked for it yet" in reply.text
    assert facts(reply)["Dates"].startswith("Thu 3 Dec 2026")
    assert facts(reply)["Place"].startswith("Stroke Rehab")
    assert labels(reply) == ["Withdraw", "Snooze a week"]
    assert the_button(reply, "Withdraw").value == f"{ref}:1"


async def test_waiting_requests_bring_a_confirm_button_that_confirms(world: World) -> None:
    await world.person("physio", team="stroke", professions=",PT,")
    ref = await world.offer("physio", starts_in=5)
    await world.request(ref, students=2)
    await world.scan()
    reply = await world.last_message("physio")
    assert labels(reply) == ["Confirm", "Withdraw", "Snooze a week"]
    assert "1 HEI request is waiting" in reply.text
    assert facts(reply)["Requests waiting"] == "1"
    pressed = await world.chat.press("physio", the_button(reply, "Confirm"))
    assert pressed.tone == "success", pressed.text
    [offer] = await world.rows(PlacementOffer)
    assert offer.status == "confirmed"


async def test_confirmed_offers_and_offers_starting_later_are_left_alone(world: World) -> None:
    await world.person("physio", team="stroke", professions=",PT,")
    await world.offer("physio", starts_in=5, status="confirmed")
    await world.offer("physio", starts_in=20)
    await world.offer("physio", starts_in=5, status="withdrawn")
    assert (await world.scan()).startswith("0 nudges queued")
    assert await world.nudges() == []
    assert await world.deliveries("physio") == []


async def test_when_the_poster_has_opted_out_their_team_hears_instead(world: World) -> None:
    await world.person("physio", team="stroke", professions=",PT,", opted_out=True)
    await world.person("colleague", team="stroke", professions=",PT,")
    await world.person("ot", team="community", professions=",OT,")
    ref = await world.offer("physio", starts_in=7)
    await world.scan()
    assert await world.nudges("physio") == []
    assert [(n.kind, n.subject) for n in await world.nudges("ot")] == []
    reply = await world.last_message("colleague")
    assert reply.text.startswith(f"Your team's placement offer {ref} starts in 7 days")


# (a) blocks whose offers close soon and that the team has not answered


async def test_a_block_closing_soon_asks_the_team_with_four_answers(world: World) -> None:
    await world.person("physio", team="stroke", professions=",PT,")
    ref = await world.block("PT", closes_in=10, students=6, cohort="PT year 2 block 2")
    await world.scan()
    [nudge] = await world.nudges("physio")
    assert (nudge.kind, nudge.subject) == ("block", ref)
    reply = await world.last_message("physio")
    assert reply.text.startswith(
        "Could Stroke Rehab offer placements for University of Nottingham's PT year 2 block 2? "
        "Offers close in 10 days."
    )
    assert facts(reply) == {
        "Block": f"{ref} · PT year 2 block 2",
        "HEI": "University of Nottingham",
        "Dates": "Thu 24 Dec 2026 – Thu 4 Feb 2027 (7 weeks)",
        "Students to place": "6",
        "Still to place": "6",
        "Offers close": "Thu 3 Dec 2026",
    }
    assert labels(reply) == [
        "Offer places",
        "Maybe: ask me on Mon 30 Nov 2026",
        "No capacity this block",
        "Snooze a week",
    ]
    opened = await world.chat.press("physio", the_button(reply, "Offer places"))
    assert opened.form is not None
    maybe = await world.chat.press("physio", the_button(reply, "Maybe"))
    assert maybe.tone == "success", maybe.text
    [answer] = await world.rows(CapacityAnswer)
    assert (answer.answer, answer.ask_again_on) == ("maybe", date(2026, 11, 30))


async def test_no_maybe_button_when_offers_close_too_soon_to_ask_again(world: World) -> None:
    await world.person("physio", team="stroke", professions=",PT,")
    await world.block("PT", closes_in=2)
    await world.scan()
    reply = await world.last_message("physio")
    assert labels(reply) == ["Offer places", "No capacity this block", "Snooze a week"]
    assert "Offers close in 2 days" in reply.text


async def test_blocks_answered_offered_on_full_far_off_or_of_another_profession_are_not_nudged(
    world: World,
) -> None:
    await world.person("physio", team="stroke", professions=",PT,")
    await world.person("colleague", team="stroke", professions=",PT,")
    answered = await world.block("PT", closes_in=5)
    await world.chat.say("colleague", f"placement none {answered}")
    offered_on = await world.block("PT", closes_in=5)
    await world.offer("colleague", starts_in=40, status="confirmed", block=offered_on)
    full = await world.block("PT", closes_in=5, students=2)
    await world.offer("colleague", starts_in=40, team=None, block=full)
    await world.block("PT", closes_in=20)
    await world.block("OT", closes_in=5)
    # the colleague's own offer on `full` answers for them, not for the team; it fills the block
    assert (await world.scan()).startswith("0 nudges queued")
    assert await world.nudges() == []


async def maybe(world: World, ref: str, ask_again: date | None) -> None:
    """The team said maybe five days ago."""
    async with world.sessions.begin() as session:
        block_id = await session.scalar(select(PlacementBlock.id).where(PlacementBlock.ref == ref))
        session.add(
            CapacityAnswer(
                block_id=block_id,
                respondent_key=f"team:{world.ids['stroke']}",
                team_id=world.ids["stroke"],
                person_id=world.ids["physio"],
                answer="maybe",
                ask_again_on=ask_again,
                answered_at=SCAN - timedelta(days=5),
            )
        )


@pytest.mark.parametrize(
    ("ask_again", "nudged"),
    [(MONDAY + timedelta(days=3), False), (MONDAY, True), (MONDAY - timedelta(days=2), True)],
)
async def test_a_maybe_holds_until_its_date_and_then_the_team_is_asked_again(
    world: World, ask_again: date, nudged: bool
) -> None:
    await world.person("physio", team="stroke", professions=",PT,")
    ref = await world.block("PT", closes_in=12)
    await maybe(world, ref, ask_again)
    await world.scan()
    assert [(n.kind, n.subject) for n in await world.nudges("physio")] == (
        [("block", ref)] if nudged else []
    )


async def test_a_maybe_without_a_date_is_asked_again_a_week_later(world: World) -> None:
    await world.person("physio", team="stroke", professions=",PT,")
    ref = await world.block("PT", closes_in=12)
    await maybe(world, ref, None)  # five days ago
    await world.scan()
    assert await world.nudges("physio") == []
    world.clock.at += timedelta(days=2)  # Wednesday: a week since the maybe
    await world.scan()
    assert [n.subject for n in await world.nudges("physio")] == [ref]


async def test_a_coordinator_without_a_team_answers_for_themselves(world: World) -> None:
    await world.person("coordinator", "coordinator", professions=",OT,")
    ref = await world.block("OT", closes_in=6)
    await world.scan()
    await world.deliver_all()  # answered from the nudge itself, once it arrived
    [nudge] = await world.nudges("coordinator")
    assert nudge.subject == ref
    reply = await world.last_message("coordinator")
    assert reply.text.startswith("Could you offer placements")
    await world.chat.press("coordinator", the_button(reply, "No capacity"))
    [answer] = await world.rows(CapacityAnswer)
    assert answer.respondent_key == f"person:{world.ids['coordinator']}"
    await world.next_working_day()
    await world.scan()
    assert [n.outcome for n in await world.nudges("coordinator")] == ["acted"]


async def test_the_team_is_asked_again_on_its_maybe_date_even_within_the_week(
    world: World,
) -> None:
    await world.person("physio", team="stroke", professions=",PT,")
    ref = await world.block("PT", closes_in=12)
    await world.scan()
    world.clock.at += timedelta(minutes=30)
    await world.chat.say("physio", f"placement maybe {ref} ask again Wed 25 Nov")
    await world.next_working_day()
    await world.scan()
    assert len(await world.nudges("physio")) == 1  # Tuesday: the maybe holds
    await world.next_working_day()
    await world.scan()
    assert [(n.subject, n.sent_on) for n in await world.nudges("physio")] == [
        (ref, MONDAY),
        (ref, date(2026, 11, 25)),
    ]


async def test_hei_leads_and_unreachable_people_get_no_block_nudges(world: World) -> None:
    await world.person("hei-lead", "hei_lead", organisation="hei", professions=",PT,")
    await world.person("no-chat", team="stroke", professions=",PT,", reachable=False)
    await world.block("PT", closes_in=5)
    await world.scan()
    assert await world.nudges() == []


# (c) educator training


async def test_training_for_the_persons_profession_this_week_comes_with_a_booking_link(
    world: World,
) -> None:
    await world.person("physio", team="stroke", professions=",PT,")
    uid = await world.training("Practice educator update", in_days=3)
    await world.training("OT supervision", in_days=2, professions=("OT",))
    await world.training("Next month's course", in_days=10)
    await world.scan()
    [nudge] = await world.nudges("physio")
    assert (nudge.kind, nudge.subject, nudge.outcome) == ("training", uid, "info")
    reply = await world.last_message("physio")
    assert reply.text == (
        "Educator training coming up: Practice educator update, Thu 26 Nov 2026 at 10:00. "
        "Book with the button below."
    )
    [book] = reply.buttons
    assert (book.label, book.url) == ("Book", "https://events.example.org/book")
    assert facts(reply)["For"] == "PT"


async def test_training_for_every_profession_is_nudged_once_per_event(world: World) -> None:
    await world.person("ot", team="community", professions=",OT,")
    first = await world.training("Educator essentials", in_days=3, professions=())
    second = await world.training("Educator essentials part 2", in_days=4, professions=())
    await world.scan()
    await world.next_working_day()
    await world.scan()
    await world.next_working_day()
    await world.scan()
    assert [n.subject for n in await world.nudges("ot")] == [first, second]


# priority, once a day, and running twice


async def test_one_nudge_a_day_most_pressing_first(world: World) -> None:
    await world.person("physio", team="stroke", professions=",PT,")
    offer = await world.offer("physio", starts_in=12)
    block = await world.block("PT", closes_in=4)
    event = await world.training("Educator update", in_days=5)
    days = []
    for _ in range(4):
        await world.scan()
        days.append(world.clock.today())
        await world.next_working_day()
    assert [(n.kind, n.subject, n.sent_on) for n in await world.nudges("physio")] == [
        ("offer_start", offer, days[0]),
        ("block", block, days[1]),
        ("training", event, days[2]),
    ]
    assert len(await world.deliveries("physio")) == 3


async def test_a_second_scan_the_same_day_queues_nothing_new(world: World) -> None:
    for n in range(5):
        await world.person(f"physio-{n}", team="stroke", professions=",PT,")
    await world.block("PT", closes_in=5)
    assert (await world.scan()).startswith("5 nudges queued")
    world.clock.at += timedelta(minutes=20)
    assert (await world.scan()).startswith("0 nudges queued")
    assert len(await world.nudges()) == 5
    assert len(await world.rows(Delivery)) == 5


async def test_two_scans_at_the_same_moment_queue_one_nudge_each(world: World) -> None:
    for n in range(12):
        await world.person(f"physio-{n}", team="stroke", professions=",PT,")
    await world.block("PT", closes_in=5)
    await world.offer("physio-0", starts_in=6)
    results = await asyncio.gather(world.scan(), world.scan(), world.scan())
    assert sum(int(result.split()[0]) for result in results) == 12
    nudged = await world.nudges()
    assert sorted(n.person_id for n in nudged) == sorted(
        world.ids[f"physio-{n}"] for n in range(12)
    )
    deliveries = await world.rows(Delivery)
    assert len(deliveries) == 12
    assert len({d.dedupe_key for d in deliveries}) == 12


# working days and hours, in London time


async def test_nudges_wait_for_the_start_of_working_hours(world: World) -> None:
    await world.person(
        "late-starter", team="stroke", professions=",PT,", work_starts=time(10), work_ends=time(16)
    )
    await world.block("PT", closes_in=5)
    await world.scan()
    [delivery] = await world.deliveries("late-starter")
    assert delivery.next_attempt_at == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    async with world.sessions.begin() as session:
        assert await outbox.claim(session, world.clock.now(), 10) == []  # not yet


async def test_nothing_on_a_day_off_or_after_hours(world: World) -> None:
    await world.person("part-time", team="stroke", professions=",PT,", working_days="2345")
    await world.person("early", team="stroke", professions=",PT,", work_ends=time(9, 15))
    await world.block("PT", closes_in=5)
    await world.scan()
    assert await world.nudges() == []
    await world.next_working_day()
    await world.scan()
    assert [n.person_id for n in await world.nudges()] == [world.ids["part-time"]]


async def test_a_week_across_the_clock_change_uses_london_times(world: World) -> None:
    # The clocks go back at 02:00 on Sunday 25 October 2026.
    await world.person(
        "physio", team="stroke", professions=",PT,", work_starts=time(10), work_ends=time(16)
    )
    world.clock.at = datetime(2026, 10, 23, 8, 30, tzinfo=UTC)  # Friday 09:30 BST
    friday = await world.training("Friday session", in_days=5)
    await world.scan()
    world.clock.at = datetime(2026, 10, 26, 9, 30, tzinfo=UTC)  # Monday 09:30 GMT
    monday = await world.training("Monday session", in_days=3)
    await world.scan()
    nudged = await world.nudges("physio")
    assert [(n.subject, n.sent_on) for n in nudged] == [
        (friday, date(2026, 10, 23)),
        (monday, date(2026, 10, 26)),
    ]
    sent = [d.next_attempt_at for d in await world.deliveries("physio")]
    assert sent == [  # 10:00 in London both days
        datetime(2026, 10, 23, 9, 0, tzinfo=UTC),
        datetime(2026, 10, 26, 10, 0, tzinfo=UTC),
    ]
    first = Reply.from_dict((await world.deliveries("physio"))[0].message)
    assert "Wed 28 Oct 2026 at 10:00" in first.text  # 10:00 GMT, shown as London time


async def test_a_scan_just_after_midnight_belongs_to_the_london_day(world: World) -> None:
    await world.person("physio", team="stroke", professions=",PT,")
    world.clock.at = datetime(2026, 10, 18, 23, 30, tzinfo=UTC)  # Monday 00:30 BST
    await world.training("Educator update", in_days=2)
    await world.scan()
    [nudge] = await world.nudges("physio")
    assert nudge.sent_on == date(2026, 10, 19)
    [delivery] = await world.deliveries("physio")
    assert delivery.next_attempt_at == datetime(2026, 10, 19, 8, 0, tzinfo=UTC)  # 09:00 BST


# snooze and opt-out


async def test_snoozed_and_opted_out_people_are_left_alone(world: World) -> None:
    await world.person("snoozer", team="stroke", professions=",PT,")
    await world.person("off", team="stroke", professions=",PT,")
    await world.person(
        "back", team="stroke", professions=",PT,", snoozed_until=MONDAY - timedelta(1)
    )
    await world.block("PT", closes_in=10)
    assert (
        "snoozed until Mon 7 Dec 2026" in (await world.chat.say("snoozer", "nudges snooze 2w")).text
    )
    assert "off" in (await world.chat.say("off", "nudges off")).text
    await world.scan()
    assert [n.person_id for n in await world.nudges()] == [world.ids["back"]]


async def test_snooze_until_a_date(world: World) -> None:
    await world.person("snoozer", team="stroke", professions=",PT,")
    reply = await world.chat.say("snoozer", "nudges snooze until 12 Jan")
    assert reply.text.startswith("Your nudges are snoozed until Tue 12 Jan 2027")
    assert (await world.person_row("snoozer")).snoozed_until == date(2027, 1, 12)
    refused = await world.chat.say("snoozer", "nudges snooze until 1 Jan 2030")
    assert refused.tone == "error"
    assert "up to 12 weeks" in refused.text
    refused = await world.chat.say("snoozer", "nudges snooze until someday")
    assert refused.tone == "error"
    assert "nudges snooze until 12 Jan" in refused.text


async def test_status_says_when_nudges_come(world: World) -> None:
    await world.person(
        "physio", team="stroke", work_starts=time(8, 30), work_ends=time(16), working_days="1234"
    )
    status = await world.chat.say("physio", "nudges status")
    assert status.text == (
        "Your nudges are on: at most one a day, Monday to Thursday, 08:30–16:00 "
        "(London time), and only when something needs you."
    )


# acted on, ignored, three strikes


async def test_three_ignored_nudges_pause_the_person_and_the_faculty_lead_is_told_once(
    world: World,
) -> None:
    await world.person("quiet", team="stroke", professions=",PT,")
    refs = [await world.block("PT", closes_in=12) for _ in range(3)]
    for _ in range(3):  # Mon, Tue, Wed: one block each, delivered, never answered
        await world.scan()
        await world.deliver_all()
        await world.next_working_day()
    assert [n.subject for n in await world.nudges("quiet")] == refs
    await world.scan()  # Thursday: Monday's is ignored; nothing new to ask
    assert [n.outcome for n in await world.nudges("quiet")] == ["ignored", "open", "open"]
    assert (await world.person_row("quiet")).ignored_nudges == 1
    await world.next_working_day()
    await world.scan()  # Friday: Tuesday's too
    assert (await world.person_row("quiet")).ignored_nudges == 2
    assert await world.deliveries("lead") == []
    await world.next_working_day()
    await world.scan()  # Monday: Wednesday's is the third in a row
    person = await world.person_row("quiet")
    assert (person.ignored_nudges, person.paused) == (3, True)
    [told] = await world.deliveries("lead")
    assert told.dedupe_key == f"paused:{person.id}:2026-11-30:{world.ids['lead']}"
    message = Reply.from_dict(told.message)
    assert message.text.startswith(
        "I've paused nudges for Quiet (Stroke Rehab, City Hospitals Trust): the last three went "
        "unanswered"
    )
    [event] = await world.rows(AuditEvent, AuditEvent.action == "nudges.pause")
    assert (event.entity_ref, event.actor_id) == (str(person.id), None)
    nudged = len(await world.nudges("quiet"))
    for _ in range(3):  # paused: no more nudges, and the lead is not told again
        await world.deliver_all()
        await world.scan()
        await world.next_working_day()
    assert len(await world.nudges("quiet")) == nudged
    assert len(await world.deliveries("lead")) == 1
    status = await world.chat.say("quiet", "nudges status")
    assert "paused after three unanswered nudges" in status.text
    resumed = await world.chat.say("quiet", "nudges on")
    assert resumed.text.startswith("Your nudges are on")
    person = await world.person_row("quiet")
    assert (person.paused, person.ignored_nudges) == (False, 0)


async def test_answering_the_subject_counts_as_acted_and_resets_the_count(world: World) -> None:
    await world.person("physio", team="stroke", professions=",PT,", ignored_nudges=2)
    await world.person("colleague", team="stroke", professions=",PT,")
    ref = await world.block("PT", closes_in=12)
    await world.scan()
    await world.deliver_all()
    world.clock.at += timedelta(hours=2)
    await world.chat.say("colleague", f"placement none {ref}")  # the team answered
    await world.next_working_day()
    await world.scan()
    outcomes = {n.person_id: n.outcome for n in await world.nudges()}
    assert outcomes == {world.ids["physio"]: "acted", world.ids["colleague"]: "acted"}
    assert (await world.person_row("physio")).ignored_nudges == 0


async def test_pressing_snooze_counts_as_acted(world: World) -> None:
    await world.person("physio", team="stroke", professions=",PT,", ignored_nudges=2)
    await world.block("PT", closes_in=12)
    await world.scan()
    await world.deliver_all()
    reply = await world.last_message("physio")
    world.clock.at += timedelta(hours=1)
    snoozed = await world.chat.press("physio", the_button(reply, "Snooze"))
    assert "snoozed until Mon 30 Nov 2026" in snoozed.text
    for _ in range(4):
        await world.next_working_day()
        await world.scan()
    [nudge] = await world.nudges("physio")
    assert nudge.outcome == "acted"
    assert (await world.person_row("physio")).ignored_nudges == 0


async def test_withdrawing_the_offer_from_the_nudge_counts_as_acted(world: World) -> None:
    await world.person("physio", team="stroke", professions=",PT,")
    await world.offer("physio", starts_in=8)
    await world.scan()
    await world.deliver_all()
    reply = await world.last_message("physio")
    world.clock.at += timedelta(minutes=5)
    withdrawn = await world.chat.press("physio", the_button(reply, "Withdraw"))
    assert "is withdrawn" in withdrawn.text
    await world.next_working_day()
    await world.scan()
    [nudge] = await world.nudges("physio")
    assert nudge.outcome == "acted"


async def test_an_undelivered_nudge_never_counts_as_ignored(world: World) -> None:
    await world.person("physio", team="stroke", professions=",PT,")
    await world.block("PT", closes_in=12)
    await world.scan()
    async with world.sessions.begin() as session:
        await session.execute(update(Delivery).values(status="failed"))
    for _ in range(4):
        await world.next_working_day()
        await world.scan()
    first = (await world.nudges("physio"))[0]
    assert first.outcome == "info"
    assert (await world.person_row("physio")).ignored_nudges == 0


# efficiency


async def test_the_plan_takes_the_same_queries_for_five_people_or_fifty(
    world: World, engine: AsyncEngine
) -> None:
    await world.block("PT", closes_in=5)
    await world.block("OT", closes_in=8)
    await world.training("Educator update", in_days=3, professions=())
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    async def plan() -> tuple[int, int]:
        statements.clear()
        async with world.sessions.begin() as session:
            planned = await nudge_plan.plan(session, world.clock, world.settings)
        return len(planned), sum(s.lstrip().upper().startswith("SELECT") for s in statements)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        for n in range(5):
            await world.person(f"pt-{n}", team="stroke", professions=",PT,")
            await world.offer(f"pt-{n}", starts_in=6)
        few = await plan()
        for n in range(45):
            team = "stroke" if n % 2 else "community"
            await world.person(f"more-{n}", team=team)
            await world.offer(f"more-{n}", starts_in=9, team=team)
        many = await plan()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert (few[0], many[0]) == (5, 50)
    assert few[1] == many[1] < 15


# withdrawn or too late: a queued nudge that no longer applies is never sent

AFTERNOONS = {"work_starts": time(13), "work_ends": time(17)}  # queued at 09:30 for 13:00
ONE_PM = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)


async def sent_to(world: World, who: str) -> list[str | None]:
    return [key for person_id, key in world.sent if person_id == world.ids[who]]


async def outcome(world: World, who: str) -> str:
    [nudge] = await world.nudges(who)
    return nudge.outcome


async def test_a_nudge_queued_for_the_afternoon_goes_then_and_expires_at_the_end_of_the_day(
    world: World,
) -> None:
    await world.person("physio", team="stroke", professions=",PT,", **AFTERNOONS)
    await world.block("PT", closes_in=10)
    await world.scan()
    [queued] = await world.deliveries("physio")
    assert (queued.status, queued.next_attempt_at, queued.expires_at) == (
        "pending",
        ONE_PM,
        datetime(2026, 11, 23, 17, 0, tzinfo=UTC),
    )
    world.clock.at = ONE_PM
    await world.deliver_all()
    assert await sent_to(world, "physio") == [f"nudge:{world.ids['physio']}:2026-11-23"]
    [delivery] = await world.deliveries("physio")
    assert delivery.status == "sent"


@pytest.mark.parametrize(
    "command", ["nudges off", "nudges snooze 1w", "nudges snooze until 12 Jan"]
)
async def test_turning_nudges_off_or_snoozing_cancels_the_one_queued(
    world: World, command: str
) -> None:
    await world.person("physio", team="stroke", professions=",PT,", **AFTERNOONS)
    await world.block("PT", closes_in=10)
    await world.scan()
    world.clock.at = datetime(2026, 11, 23, 9, 45, tzinfo=UTC)
    assert (await world.chat.say("physio", command)).tone != "error"
    world.clock.at = ONE_PM
    await world.deliver_all()
    assert world.sent == []
    [delivery] = await world.deliveries("physio")
    assert delivery.status == "cancelled"
    await world.settle()
    assert await outcome(world, "physio") == "info"  # neither acted on nor ignored
    assert (await world.person_row("physio")).ignored_nudges == 0


async def test_a_block_answered_by_the_team_is_not_asked_of_it_but_still_of_others(
    world: World,
) -> None:
    await world.person("physio", team="stroke", professions=",PT,", **AFTERNOONS)
    await world.person("colleague", team="stroke", professions=",PT,", **AFTERNOONS)
    await world.person("coordinator", "coordinator", professions=",PT,", **AFTERNOONS)
    ref = await world.block("PT", closes_in=10)
    await world.scan()
    assert {n.subject for n in await world.nudges()} == {ref}
    world.clock.at = datetime(2026, 11, 23, 9, 45, tzinfo=UTC)
    assert (await world.chat.say("colleague", f"placement none {ref}")).tone == "success"
    world.clock.at = ONE_PM
    await world.deliver_all()
    assert [person_id for person_id, _ in world.sent] == [world.ids["coordinator"]]
    assert [d.status for d in await world.deliveries("physio")] == ["cancelled"]
    await world.settle()
    assert await outcome(world, "physio") == "info"
    assert await outcome(world, "colleague") == "info"
    assert await outcome(world, "coordinator") == "open"  # delivered, not yet answered


async def test_an_offer_posted_on_the_block_cancels_the_teams_nudges(world: World) -> None:
    await world.person("physio", team="stroke", professions=",PT,", **AFTERNOONS)
    await world.person("colleague", team="stroke", professions=",PT,", **AFTERNOONS)
    ref = await world.block("PT", closes_in=10)
    await world.scan()
    world.clock.at = datetime(2026, 11, 23, 9, 45, tzinfo=UTC)
    posted = await world.chat.say(
        "colleague",
        f"placement offer PT 25 Jan - 5 Mar 2027 3 students at Stroke Rehab block {ref}",
    )
    assert posted.tone == "success", posted.text
    world.clock.at = ONE_PM
    await world.deliver_all()
    assert world.sent == []
    await world.settle()
    assert [n.outcome for n in await world.nudges()] == ["info", "info"]


@pytest.mark.parametrize(
    "command",
    [
        "placement withdraw {ref} staff sickness",
        "placement confirm {ref}",
        "placement decline {ref} no educator that week",
        "placement edit {ref} capacity 3",
    ],
)
async def test_an_offer_answered_before_its_nudge_goes_is_not_nudged(
    world: World, command: str
) -> None:
    await world.person("physio", team="stroke", professions=",PT,", **AFTERNOONS)
    ref = await world.offer("physio", starts_in=10)
    await world.request(ref)
    await world.scan()
    [nudge] = await world.nudges("physio")
    assert (nudge.kind, nudge.subject) == ("offer_start", ref)
    world.clock.at = datetime(2026, 11, 23, 9, 45, tzinfo=UTC)
    answered = await world.chat.say("physio", command.format(ref=ref))
    assert answered.tone != "error", answered.text
    world.clock.at = ONE_PM
    await world.deliver_all()
    assert world.sent == []
    [delivery] = await world.deliveries("physio")
    assert delivery.status == "cancelled"
    await world.settle()
    assert await outcome(world, "physio") == "info"


@pytest.mark.parametrize(
    "sender_back",
    [
        datetime(2026, 11, 27, 17, 30, tzinfo=UTC),  # Friday, after hours
        datetime(2026, 11, 28, 10, 0, tzinfo=UTC),  # Saturday, a day off
    ],
)
async def test_a_nudge_the_worker_could_not_send_that_day_expires_unsent(
    world: World, sender_back: datetime
) -> None:
    await world.person("physio", team="stroke", professions=",PT,")
    world.clock.at = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)  # Friday's scan
    await world.block("PT", closes_in=10)
    await world.scan()
    world.clock.at = sender_back  # the worker was down from Friday 09:30 until now
    await world.deliver_all()
    assert world.sent == []
    [delivery] = await world.deliveries("physio")
    assert (delivery.status, delivery.sent_at) == ("expired", None)
    await world.settle()
    assert await outcome(world, "physio") == "info"
    assert (await world.person_row("physio")).ignored_nudges == 0


async def test_the_third_ignored_nudge_cancels_the_one_queued_today(world: World) -> None:
    quiet = await world.person(
        "quiet", team="stroke", professions=",PT,", ignored_nudges=2, **AFTERNOONS
    )
    friday = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # delivered three days before 10:00
    await world.add(
        Nudge(
            person_id=quiet,
            kind="block",
            subject="BL-2027-0999",
            sent_on=date(2026, 11, 20),
            sent_at=friday,
            outcome="open",
        ),
        Delivery(
            recipient_id=quiet,
            channel="local",
            message=Reply(text="Friday's nudge").to_dict(),
            dedupe_key=f"nudge:{quiet}:2026-11-20",
            status="sent",
            attempts=1,
            next_attempt_at=friday,
            created_at=friday,
            sent_at=friday,
        ),
    )
    today = await world.block("PT", closes_in=10)
    await world.scan()  # 09:30: Friday's is not ignored yet; today's is queued for 13:00
    assert [n.subject for n in await world.nudges("quiet")] == ["BL-2027-0999", today]
    world.clock.at = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    await world.settle()  # Friday's is the third ignored in a row
    assert (await world.person_row("quiet")).paused
    world.clock.at = ONE_PM
    await world.deliver_all()
    assert await sent_to(world, "quiet") == []
    assert await sent_to(world, "lead") != []  # the faculty lead is still told
    await world.settle()
    assert [n.outcome for n in await world.nudges("quiet")] == ["ignored", "info"]
