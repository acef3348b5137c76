"""Links are web pages or email addresses, whole and on one line, wherever they come in (chat, CSV,
iCalendar, API) and wherever they go out (the feeds, Slack and Teams buttons, email). A bad one is
refused saying where it is and what to do; one stored before the check is left out, never
allowed to break the calendar feed for its subscribers."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from icalendar import Calendar

from adapters import cli
from adapters.email import render as email
from adapters.serving import CommandFailed
from adapters.slack import blocks as slack
from adapters.teams import cards as teams
from bot.chat.placebot import PlaceBot
from bot.kernel import links
from bot.kernel.context import Context
from bot.kernel.errors import UserError
from bot.kernel.messages import Button, Reply
from bot.training import catalogue as training
from bot.training.events import TrainingData, read_csv, read_ics
from config.settings import Settings
from storage.tables import TrainingEvent
from tests.support.chat import Chat
from tests.support.slack_rig import slack_buttons
from tests.support.teams_rig import actions

LONDON = ZoneInfo("Europe/London")
GOOD = "https://events.example.org/book?id=7&x=1"
LINE_FEED = "https://events.example.org/book\nX-INJECTED:1"
SCRIPT = "javascript:alert(document.cookie)"
CSV_HEADER = "title,organiser,professions,date,start,end,mode,booking\n"


@pytest.mark.parametrize(
    "link",
    [GOOD, "http://intranet.example.nhs.uk/training", "mailto:training@uni.ac.uk",
     "https://bücher.example/éducation", "HTTPS://EVENTS.EXAMPLE.ORG/"],
)  # fmt: skip
def test_web_and_email_links_are_accepted(link: str) -> None:
    assert links.problem(link) is None and links.is_safe(link)


@pytest.mark.parametrize(
    ("link", "why"),
    [
        (SCRIPT, "only web and email links"),
        ("data:text/html;base64,PHNjcmlwdD4=", "only web and email links"),
        ("vbscript:msgbox", "only web and email links"),
        ("//events.example.org/book", "only web and email links"),
        (LINE_FEED, "line break"),
        ("https://events.example.org/a b", "space"),
        ("https://events.example.org/\u202eexe.pdf", "invisible"),
        ("https://events.example.org/\x00", "invisible"),
        ("https://", "site name"),
        ("https://user:secret@events.example.org/", "site name"),
        ("mailto:nobody", "email address"),
        ("https://events.example.org/" + "a" * 500, "under 500 characters"),
    ],
)
def test_other_links_are_refused_saying_why(link: str, why: str) -> None:
    assert why in (links.problem(link) or "")
    assert not links.is_safe(link)


def test_a_booking_column_is_a_link_an_address_or_words() -> None:
    assert links.booking(GOOD) == (GOOD, None)
    assert links.booking("training@uni.ac.uk") == ("mailto:training@uni.ac.uk", None)
    assert links.booking("Ask at the ward office") == (None, "Ask at the ward office")
    assert links.booking("Call: 0115 924 9924") == (None, "Call: 0115 924 9924")
    with pytest.raises(ValueError, match="only web and email links"):
        links.booking(SCRIPT)


def _ics(url: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\n"
        "UID:bad-link@test\r\nSUMMARY:PT educator update\r\n"
        "DTSTART:20270203T100000Z\r\nDTEND:20270203T110000Z\r\n"
        f"URL:{url}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def test_an_icalendar_event_with_a_script_link_is_refused_naming_it() -> None:
    with pytest.raises(UserError) as refused:
        read_ics(_ics(SCRIPT), LONDON)
    message = refused.value.message
    assert "“PT educator update” (UID bad-link@test)" in message
    assert "only web and email links" in message and "Fix the URL in the calendar" in message
    [event] = read_ics(_ics(GOOD), LONDON)
    assert event.booking == GOOD


def test_a_csv_booking_link_with_a_line_feed_is_refused_naming_its_row() -> None:
    text = (
        CSV_HEADER
        + "Educator update,University of Nottingham,PT,2027-02-03,10:00,11:00,online,"
        + GOOD
        + "\n"
        + f'Bad link,University of Nottingham,PT,2027-02-04,10:00,11:00,online,"{LINE_FEED}"\n'
    )
    with pytest.raises(UserError) as refused:
        read_csv(text, LONDON)
    assert refused.value.message.startswith("Row 3, column booking cannot be used:")
    assert "line break" in refused.value.message
    with pytest.raises(UserError, match=r"Row 2, column booking.*only web and email"):
        read_csv(CSV_HEADER + f"X,Y,PT,2027-02-03,10:00,11:00,online,{SCRIPT}\n", LONDON)


async def test_the_cli_import_refuses_a_bad_link_and_stores_nothing(
    bot: PlaceBot, settings: Settings, chat: Chat, tmp_path: Path
) -> None:
    before = await chat.count(TrainingEvent)
    path = tmp_path / "training.ics"
    path.write_bytes(_ics(LINE_FEED.replace("\n", "\\n")))  # a literal backslash-n in the URL
    with pytest.raises(CommandFailed, match="bad-link@test"):
        await cli.import_training(settings, path, path.read_bytes())
    assert await chat.count(TrainingEvent) == before


async def test_training_add_in_chat_refuses_a_script_link(chat: Chat) -> None:
    refused = await chat.say(
        "nottingham-lead", f'training add "Educator update" 3 Feb 2027 10:00-11:00 PT {SCRIPT}'
    )
    assert refused.tone == "error" and "only web and email links" in refused.text
    assert "For example: training add" in refused.text
    added = await chat.say(
        "nottingham-lead", f'training add "Educator update" 3 Feb 2027 10:00-11:00 PT {GOOD}'
    )
    assert added.tone == "success"
    assert [b.url for b in added.items[0].buttons] == [GOOD]


async def _store_as_before_the_check(bot: PlaceBot) -> None:
    """Events as an import before links were checked could have stored them."""
    async with bot.sessions.begin() as session:
        ctx = Context(session, None, bot.clock, bot.settings, "system")
        await training.upsert(
            ctx,
            [
                TrainingData(
                    uid=f"stored-{name}@test",
                    title=f"Stored {name}; with, punctuation\nand a line",
                    organiser='Uni "of" Nowhere\n',
                    professions=("PT",),
                    starts_at=datetime(2027, 2, day, 10, 0, tzinfo=LONDON),
                    ends_at=datetime(2027, 2, day, 11, 0, tzinfo=LONDON),
                    booking=link,
                )
                for day, name, link in ((3, "good", GOOD), (4, "lf", LINE_FEED), (5, "js", SCRIPT))
            ],
        )


async def test_stored_bad_links_never_break_the_calendar_feed(
    api: TestClient, bot: PlaceBot
) -> None:
    await _store_as_before_the_check(bot)
    feed = await api.get("/api/v1/training.ics")
    assert feed.status == 200
    events = {str(e["UID"]): e for e in Calendar.from_ical(await feed.read()).walk("VEVENT")}
    assert str(events["stored-good@test"]["URL"]) == GOOD
    for name in ("lf", "js"):
        assert "URL" not in events[f"stored-{name}@test"]
    good = events["stored-good@test"]
    assert str(good["SUMMARY"]) == "Stored good; with, punctuation and a line"  # escaped back
    assert str(good["DESCRIPTION"]).startswith('Organised by Uni "of" Nowhere')
    listed = await (await api.get("/api/v1/training")).json()
    bookings = {item["uid"]: item["booking"] for item in listed["items"]}
    assert bookings["stored-good@test"] == GOOD
    assert bookings["stored-lf@test"] is None and bookings["stored-js@test"] is None


async def test_stored_bad_links_are_left_out_of_buttons_everywhere(
    bot: PlaceBot, chat: Chat
) -> None:
    await _store_as_before_the_check(bot)
    reply = await chat.say("stroke-physio", "training PT")
    books = {
        item.title.split()[1].rstrip(";"): [b.url for b in item.buttons] for item in reply.items
    }
    assert books["good"] == [GOOD] and books["lf"] == [] and books["js"] == []
    # And were one to reach a renderer, each shows only the safe link.
    items = tuple(item for item in reply.items if "Stored" in item.title)
    unsafe = tuple(Button("Book", "link", url=url) for url in (LINE_FEED, SCRIPT))
    raw = Reply(
        text="Training",
        items=tuple(replace(item, buttons=(*item.buttons, *unsafe)) for item in items),
    )
    assert {b["url"] for b in slack_buttons(slack.message(raw))} == {GOOD}
    assert {a["url"] for a in actions(teams.card(raw))} == {GOOD}
    page = email.html(raw)
    assert (
        "javascript:" not in page
        and "X-INJECTED" not in page
        and GOOD.replace("&", "&amp;") in page
    )
