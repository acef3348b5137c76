"""HEIs post placement blocks through the API; anyone's calendar subscribes to the training feed."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient
from icalendar import Calendar

from bot.chat.placebot import PlaceBot
from bot.kernel.context import Context
from bot.training import catalogue as training
from bot.training.events import TrainingData
from tests.conftest import bearer, make_token
from tests.support.chat import Chat

LONDON = ZoneInfo("Europe/London")
BLOCK = {
    "profession": "OT",
    "cohort": "OT year 3 block 1",
    "start_date": "2027-03-01",
    "end_date": "2027-04-09",
    "students": 11,
    "offers_close": "2027-01-15",
}


async def test_an_hei_posts_a_block_that_clinicians_then_see(
    api: TestClient, bot: PlaceBot, chat: Chat
) -> None:
    secret = await make_token(bot, "University of Lincoln")
    posted = await api.post("/api/v1/blocks", json=BLOCK, headers=bearer(secret))
    assert posted.status == 201, await posted.text()
    block = await posted.json()
    assert block["hei"] == "University of Lincoln" and block["students"] == 11
    listed = await (await api.get("/api/v1/blocks", headers=bearer(secret))).json()
    assert [b["cohort"] for b in listed["items"]] == ["PT year 3 elective", "OT year 3 block 1"]
    others = await make_token(bot, "University of Nottingham")
    theirs = await (await api.get("/api/v1/blocks", headers=bearer(others))).json()
    assert block["ref"] not in [b["ref"] for b in theirs["items"]]
    seen = await chat.say("community-ot", "placement blocks OT")
    assert any(item.title.startswith(block["ref"]) for item in seen.items)


async def test_a_wrong_block_says_which_fields_are_wrong(api: TestClient, bot: PlaceBot) -> None:
    secret = await make_token(bot, "University of Lincoln")
    wrong = await api.post(
        "/api/v1/blocks",
        json=BLOCK | {"profession": "astrology", "students": "many", "start_date": "soon"},
        headers=bearer(secret),
    )
    assert wrong.status == 400
    assert set((await wrong.json())["fields"]) == {"profession", "students", "start_date"}
    late = await api.post(
        "/api/v1/blocks", json=BLOCK | {"offers_close": "2027-06-01"}, headers=bearer(secret)
    )
    assert late.status == 422 and "close" in (await late.json())["error"]
    assert (await api.post("/api/v1/blocks", json=BLOCK)).status == 401


async def test_the_ics_feed_keeps_london_times_across_the_clock_change(
    api: TestClient, bot: PlaceBot
) -> None:
    async with bot.sessions.begin() as session:
        ctx = Context(session, None, bot.clock, bot.settings, "system")
        await training.upsert(
            ctx,
            [
                TrainingData(
                    uid=f"clock-change-{day}@test",
                    title=f"Educator update {day}",
                    organiser="University of Nottingham",
                    professions=("PT",),
                    starts_at=datetime(2027, 3, day, 10, 0, tzinfo=LONDON),
                    ends_at=datetime(2027, 3, day, 11, 30, tzinfo=LONDON),
                    booking="https://events.example.org/book",
                )
                for day in (25, 30)  # British Summer Time starts on 28 March 2027
            ],
        )
    feed = await api.get("/api/v1/training.ics")  # no token: calendar apps send none
    assert feed.status == 200 and feed.content_type == "text/calendar"
    calendar = Calendar.from_ical(await feed.read())
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    for day, utc_hour in ((25, 10), (30, 9)):
        event = events[f"clock-change-{day}@test"]
        start = event.decoded("DTSTART")
        assert (start.hour, start.minute) == (10, 0)
        assert start.utcoffset().total_seconds() == (utc_hour != 10) * 3600
        assert str(event["URL"]) == "https://events.example.org/book"
    again = await api.get("/api/v1/training.ics")
    assert {str(e["UID"]) for e in Calendar.from_ical(await again.read()).walk("VEVENT")} == set(
        events
    )
    unchanged = await api.get(
        "/api/v1/training.ics", headers={"If-None-Match": feed.headers["ETag"]}
    )
    assert unchanged.status == 304


async def test_the_json_feed_filters_by_profession(api: TestClient) -> None:
    everything = await (await api.get("/api/v1/training", params={"limit": "1000"})).json()
    ot = await (await api.get("/api/v1/training", params={"profession": "OT"})).json()
    assert everything["items"] and all(
        not e["professions"] or "OT" in e["professions"] for e in ot["items"]
    )
    assert everything["items"][0]["starts_at"] <= everything["items"][-1]["starts_at"]
    assert (await api.get("/api/v1/training", params={"profession": "x"})).status == 400
