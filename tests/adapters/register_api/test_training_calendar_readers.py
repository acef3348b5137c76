"""The training feed as three calendar readers see it: every start at the right moment in UTC,
winter and summer and either side of the clock changes; DTSTAMP when the record last changed;
ORGANIZER only where there is an organiser's address to give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import ics
import vobject
from aiohttp.test_utils import TestClient
from icalendar import Calendar
from sqlalchemy import select

from bot.chat.placebot import PlaceBot
from bot.kernel.context import Context
from bot.training import catalogue as training
from bot.training.events import TrainingData
from storage.tables import TrainingEvent

LONDON = ZoneInfo("Europe/London")
# Local starts: deep winter and summer, and the hours around the 2027 changes
# (BST from 01:00 UTC on 28 March, GMT from 01:00 UTC on 31 October), and 2040.
STARTS = [
    datetime(2027, 1, 12, 9, 30),
    datetime(2027, 3, 27, 10, 0),
    datetime(2027, 3, 28, 0, 30),
    datetime(2027, 3, 28, 3, 0),
    datetime(2027, 7, 6, 14, 0),
    datetime(2027, 10, 30, 18, 0),
    datetime(2027, 10, 31, 3, 0),
    datetime(2027, 12, 1, 9, 0),
    datetime(2040, 1, 10, 10, 0),  # past 2038, where an RDATE zone would stop
    datetime(2040, 7, 10, 10, 0),
]


def event(n: int, start: datetime) -> TrainingData:
    local = start.replace(tzinfo=LONDON)
    return TrainingData(
        uid=f"reader-{n}@test",
        title=f"Educator workshop {n}",
        organiser="University of Nottingham",
        professions=("PT",),
        starts_at=local,
        ends_at=(local.astimezone(UTC) + timedelta(hours=1)).astimezone(LONDON),
        booking="mailto:placements@nottingham.example" if n % 2 else "https://book.example/x",
    )


async def feed(api: TestClient, bot: PlaceBot) -> str:
    async with bot.sessions.begin() as session:
        ctx = Context(session, None, bot.clock, bot.settings, "system")
        await training.upsert(ctx, [event(n, start) for n, start in enumerate(STARTS)])
    response = await api.get("/api/v1/training.ics")
    assert response.status == 200
    return await response.text()


def expected() -> dict[str, datetime]:
    return {
        f"reader-{n}@test": start.replace(tzinfo=LONDON).astimezone(UTC)
        for n, start in enumerate(STARTS)
    }


async def test_icalendar_vobject_and_ics_read_every_start_at_the_same_moment(
    api: TestClient, bot: PlaceBot
) -> None:
    text = await feed(api, bot)
    by_icalendar = {
        str(e["UID"]): e.decoded("DTSTART").astimezone(UTC)
        for e in Calendar.from_ical(text).walk("VEVENT")
    }
    by_vobject = {
        e.uid.value: e.dtstart.value.astimezone(UTC) for e in vobject.readOne(text).vevent_list
    }
    by_ics = {e.uid: e.begin.to("UTC").datetime for e in ics.Calendar(text).events}
    wanted = expected()
    assert {uid: by_icalendar.get(uid) for uid in wanted} == wanted
    assert {uid: by_vobject.get(uid) for uid in wanted} == wanted
    assert {uid: by_ics.get(uid) for uid in wanted} == wanted


async def test_the_zone_is_written_with_yearly_rules_not_a_list_of_dates(
    api: TestClient, bot: PlaceBot
) -> None:
    [zone] = Calendar.from_ical(await feed(api, bot)).walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/London"
    for observance in zone.subcomponents:
        assert "RRULE" in observance and "RDATE" not in observance


async def test_dtstamp_is_the_last_change_and_organizer_only_an_address_given(
    api: TestClient, bot: PlaceBot
) -> None:
    events = {str(e["UID"]): e for e in Calendar.from_ical(await feed(api, bot)).walk("VEVENT")}
    async with bot.sessions() as session:
        changed = {
            row.uid: row.updated_at.replace(tzinfo=row.updated_at.tzinfo or UTC)
            for row in (await session.execute(select(TrainingEvent))).scalars()
        }
    for n, start in enumerate(STARTS):
        got = events[f"reader-{n}@test"]
        stamp = got.decoded("DTSTAMP")
        assert stamp == changed[f"reader-{n}@test"].replace(microsecond=0)
        assert stamp < start.replace(tzinfo=LONDON)  # not the event's own (future) start
        if n % 2:
            assert str(got["ORGANIZER"]) == "mailto:placements@nottingham.example"
            assert got["ORGANIZER"].params["CN"] == "University of Nottingham"
        else:
            assert "ORGANIZER" not in got
        assert str(got["DESCRIPTION"]).startswith("Organised by University of Nottingham")
    assert "placebot.invalid" not in "".join(str(e.get("ORGANIZER", "")) for e in events.values())
