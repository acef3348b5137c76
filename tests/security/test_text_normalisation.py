"""Odd characters people and files send: a NUL byte, direction overrides, zero-width and control
characters, terminal escapes. Each is removed at the core's entry, so what is stored (on SQLite and
PostgreSQL) looks like what was meant, while emoji, other scripts and their joiners stay."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from adapters.workbook import read
from bot.chat.placebot import PlaceBot
from bot.faculty import validate
from bot.faculty.sheets import PEOPLE
from bot.kernel.messages import Actor, Command
from bot.kernel.text import clean, clean_json, clip
from bot.offers.form import OFFER_CREATE
from storage.tables import Person, PlacementBlock, PlacementOffer
from tests.conftest import bearer, make_token
from tests.support.chat import Chat

SORRY = "something went wrong on our side"
NURSE = "\U0001f469\u200d\u2695\ufe0f"  # woman health worker: a ZWJ sequence
RAINBOW = "\U0001f3f3\ufe0f\u200d\U0001f308"
ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Ward\x0012", "Ward12"),  # NUL: PostgreSQL refuses it in text
        ("Ward 12\u202e\u2066gnp.exe\u2069", "Ward 12gnp.exe"),  # bidi override and isolate
        ("Ward\u200e 12\u200f\u061c", "Ward 12"),  # direction marks
        ("St\u200bJames\ufeff\u2060", "StJames"),  # zero width space, BOM, word joiner
        ("Ward\u200c 12\u200d", "Ward 12"),  # joiners between Latin letters
        ("Ward\x85\x9b 12\x7f", "Ward  12"),  # C1 controls and DEL (NEL is a line break)
        ("\x1b[31mWard 12\x1b[0m", "Ward 12"),  # a colour escape, whole
        ("\x1b]0;owned\x07Ward 12", "Ward 12"),  # a window-title escape, whole
        ("Ward\ud800 12", "Ward 12"),  # a lone surrogate (from JSON \\ud800)
        ("Cafe\u0301", "Caf\u00e9"),  # NFC
        (f"Nurse {NURSE} {RAINBOW} {ENGLAND}", f"Nurse {NURSE} {RAINBOW} {ENGLAND}"),
        ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"),  # Persian ZWNJ
        ("\u0915\u094d\u200d\u0937", "\u0915\u094d\u200d\u0937"),  # Devanagari half form
        ("Ysbyty Gwynedd · 東京 · Łódź", "Ysbyty Gwynedd · 東京 · Łódź"),
    ],
)  # fmt: skip
def test_invisible_and_control_characters_go_and_writing_stays(typed: str, kept: str) -> None:
    assert clean(typed) == kept


def test_line_breaks_stay_only_where_text_has_lines() -> None:
    assert clean("one\r\ntwo\tthree\u2028four") == "one two three four"
    assert clean("one\r\ntwo\tthree\u2028four", lines=True) == "one\ntwo\tthree\nfour"


def test_cutting_to_a_limit_never_leaves_half_an_emoji_joined() -> None:
    assert clip(f"ab{NURSE}", 3) == "ab\U0001f469"
    assert clip("abc", 3) == "abc"


def test_api_bodies_are_cleaned_at_every_depth_keeping_lines_only_in_notes() -> None:
    body = {
        "cohort\u200b": "PT\x00 year 2\nblock",
        "note": "two\u202e\nstudents",
        "n": [1, "a\x07"],
    }
    assert clean_json(body, {"note"}) == {
        "cohort": "PT year 2 block",
        "note": "two\nstudents",
        "n": [1, "a"],
    }


async def _offer(bot: PlaceBot) -> PlacementOffer:
    async with bot.sessions() as session:
        return (await session.execute(select(PlacementOffer))).scalar_one()


async def test_a_nul_byte_in_a_command_is_removed_not_an_internal_error(
    chat: Chat, bot: PlaceBot
) -> None:
    reply = await chat.say(
        "stroke-physio",
        "placement offer PT 1 Feb - 12 Mar 2027 1 student at Ward\x00 12\u202e, City\u200b "
        "Hospital notes bring\x1b[2J a badge",
    )
    assert SORRY not in reply.text and reply.tone == "success", reply.text
    offer = await _offer(bot)
    assert offer.place_text == "Ward 12, City Hospital"
    assert offer.notes == "bring a badge"


async def test_form_notes_keep_their_lines_and_one_line_fields_do_not(
    chat: Chat, bot: PlaceBot
) -> None:
    form = (await chat.say("stroke-physio", "placement offer")).form
    assert form is not None and form.form_id == OFFER_CREATE
    reply = await chat.submit(
        "stroke-physio",
        form,
        profession="PT",
        start="2027-02-01",
        end="2027-03-12",
        capacity="1",
        place="Ward 12\n\x00City Hospital",
        notes="Line one\u202e\r\nLine two\x00",
    )
    assert reply.tone == "success", reply.text
    offer = await _offer(bot)
    assert offer.place_text == "Ward 12 City Hospital"
    assert offer.notes == "Line one\nLine two"


async def test_a_platform_name_and_email_are_cleaned_before_they_are_stored(
    bot: PlaceBot,
) -> None:
    actor = Actor(
        platform="local",
        external_id="new\x00-person",
        display_name="Alex\u202e\u200b Smith\x1b[5m \U0001f469\u200d\u2695\ufe0f",
        email="alex.smith\u200b@nuh.nhs.uk\x00",
    )
    reply = await bot.handle(Command(actor, text="placement help"))
    assert SORRY not in reply.text
    async with bot.sessions() as session:
        person = (
            (await session.execute(select(Person).where(Person.display_name.like("Alex%"))))
            .unique()
            .scalar_one()
        )
    assert person.display_name == f"Alex Smith {NURSE}"
    assert person.email == "alex.smith@nuh.nhs.uk"
    assert await bot.knows(actor)  # the same identity, found again through the same cleaning


async def test_an_api_cohort_is_cleaned_before_it_is_stored(api: TestClient, bot: PlaceBot) -> None:
    secret = await make_token(bot, "University of Lincoln")
    block = {
        "profession": "OT",
        "cohort": "OT\ud800 year 3\u202e block\u200b 1\x85",
        "start_date": "2027-03-01",
        "end_date": "2027-04-09",
        "students": 4,
        "offers_close": "2027-01-15",
    }
    posted = await api.post("/api/v1/blocks", json=block, headers=bearer(secret))
    assert posted.status == 201, await posted.text()
    assert (await posted.json())["cohort"] == "OT year 3 block 1"
    async with bot.sessions() as session:
        cohorts = (await session.execute(select(PlacementBlock.cohort))).scalars().all()
    assert "OT year 3 block 1" in cohorts


def test_workbook_cells_are_cleaned_as_they_are_read(tmp_path: Path) -> None:
    rows = [
        [column.header for column in PEOPLE.columns],
        ["jo.bloggs\u200b@nuh.nhs.uk", "Jo\u202e Bloggs\x00", "clinician", "RX1", "", "PT", ""],
    ]
    with (tmp_path / PEOPLE.file_name).open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    book, problems = read.read(tmp_path)
    assert problems == []
    [row] = book.of(PEOPLE)
    assert (row.get("email"), row.get("name")) == ("jo.bloggs@nuh.nhs.uk", "Jo Bloggs")


def test_set_up_names_and_emails_typed_on_the_command_line_are_cleaned() -> None:
    assert validate.name("Ward\u202e 12\x00 Orthopaedics", "team", "Ward 12") == (
        "Ward 12 Orthopaedics"
    )
    assert validate.email("Jo.Bloggs\u200b@NUH.nhs.uk\ufeff") == "jo.bloggs@nuh.nhs.uk"
    assert validate.email_domain("@nuh\u200d.nhs.uk") == "nuh.nhs.uk"
