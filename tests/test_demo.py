"""The demo data: loaded once, dated into the coming months, modelled on the faculty's real events."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot import demo
from bot.kernel.clock import FixedClock
from config.settings import Settings
from storage.engine import make_sessionmaker
from storage.tables import Organisation, Person, PlacementBlock, Target, TrainingEvent
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
