"""The demo data: loaded once, dated into the coming months, modelled on the faculty's real events."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import demo
from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from bot.reports.digests import queries as digest_queries
from config.settings import Settings
from storage.engine import make_sessionmaker
from storage.tables import (
    CapacityAnswer,
    Organisation,
    Person,
    PlacementBlock,
    PlacementOffer,
    PlacementRequest,
    Target,
    TrainingEvent,
)
from tests.support.chat import Chat


async def test_loading_the_demo_twice_duplicates_nothing(
    chat: Chat, engine: AsyncEngine, clock: FixedClock, settings: Settings
) -> None:
    tables = (Organisation, Person, PlacementBlock, Target, TrainingEvent)
    first = [await chat.count(table) for table in tables]
    clock.at += timedelta(days=3)  # even on another day
    async with make_sessionmaker(engine).begin() as session:
        assert await demo.load(session, clock, settings) is False
    assert [await chat.count(table) for table in tables] == first
    assert first == [5, 7, 3, 2, 22]


def test_the_educator_series_is_redated_into_the_coming_weeks(
    clock: FixedClock, settings: Settings
) -> None:
    events = demo.redated_training(clock.today(), settings)
    qa = sorted((e for e in events if "Q&A" in e.title), key=lambda e: e.starts_at)
    assert len(qa) == 15
    assert {e.organiser for e in qa} == {
        "University of Nottingham",
        "University of Lincoln",
        "Sheffield Hallam University",
    }
    assert all((e.ends_at - e.starts_at) == timedelta(hours=1) for e in qa)
    first_local = qa[0].starts_at
    assert clock.today() < first_local.date() <= clock.today() + timedelta(days=7)
    # Whole weeks keep the weekday and the local time of the real sessions: Thu 20 Aug 2020, 15:00.
    assert (first_local.strftime("%a %H:%M"), first_local.tzinfo is not None) == ("Thu 15:00", True)


async def term_demo(engine: AsyncEngine, clock: FixedClock, settings: Settings) -> Chat:
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as session:
        assert await demo.load(session, clock, settings, term=True) is True
    return Chat(PlaceBot(sessions, settings, clock))


async def test_the_term_demo_gives_every_lead_something_true_to_show(
    engine: AsyncEngine, clock: FixedClock, settings: Settings
) -> None:
    chat = await term_demo(engine, clock, settings)
    async with chat.bot.sessions() as session:
        statuses = sorted((await session.execute(select(PlacementOffer.status))).scalars())
        asked = sorted(
            (name, students, status)
            for name, students, status in await session.execute(
                select(Organisation.name, PlacementRequest.students, PlacementRequest.status).join(
                    Organisation, Organisation.id == PlacementRequest.hei_id
                )
            )
        )
        answers = sorted((await session.execute(select(CapacityAnswer.answer))).scalars())
    assert statuses == ["confirmed", "offered", "offered", "offered", "offered", "requested",
                        "requested"]  # fmt: skip
    assert asked == [
        ("Sheffield Hallam University", 1, "declined"),
        ("Sheffield Hallam University", 2, "pending"),
        ("University of Nottingham", 1, "confirmed"),
        ("University of Nottingham", 2, "pending"),
    ]
    assert answers == ["maybe", "no_capacity"]

    for lead in ("nottingham-lead", "shu-lead"):
        requests = await chat.say(lead, "placement requests")
        assert len(requests.items) == 2, requests.text
        blocks = await chat.say(lead, "placement blocks")
        assert all(item.buttons == () for item in blocks.items)
        assert all("Teams' answers" in {f.label for f in item.facts} for item in blocks.items)
    [block] = [
        item
        for item in (await chat.say("nottingham-lead", "placement blocks PT")).items
        if "year 2 block 2" in item.title
    ]
    ref = block.title.split(" · ")[0]
    assert {f.label: f.value for f in block.facts}["Offered so far"] == "5 (short by 9)"
    teams = await chat.say("nottingham-lead", f"placement answers {ref}")
    assert {item.title.split(" · ")[0]: item.text for item in teams.items} == {
        "Acute Medicine Therapy": "silent",
        "Stroke Rehab": "offering",
        "Ward 12 Orthopaedics": "offering",
        "Adult Community Physiotherapy": "maybe",
    }
    async with chat.bot.sessions() as session:
        digests = await digest_queries.compose(
            session, "weekly", clock.now() + timedelta(seconds=1), clock.today()
        )
    assert {d.lead.hei_name for d in digests if d.new and d.requests and d.blocks} == {
        "University of Nottingham",
        "Sheffield Hallam University",
    }
