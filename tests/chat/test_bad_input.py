"""Bad input gets a clear reply naming the problem, with a correct example, and stores nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect as sa_inspect

from bot.kernel.messages import Command
from storage.tables import AuditEvent, Identity, Person, PlacementOffer
from tests.support.chat import Chat, button, fact

VALID = "placement offer PT 1 Feb - 12 Mar 2027 2 students at Ward 12, City Hospital"


async def stored_counts(chat: Chat) -> tuple[int, int, int, int]:
    return (
        await chat.count(PlacementOffer),
        await chat.count(AuditEvent),
        await chat.count(Person),
        await chat.count(Identity),
    )


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ("placement offer unicorn 1 Feb - 12 Mar 2027 2 students at Ward 12", "not one I know"),
        ("placement offer PT 12 Mar - 1 Feb 2027 2 students at Ward 12", "before the start"),
        (
            "placement offer PT 31/02/2027 - 12/03/2027 2 students at Ward 12",
            "not a date in the calendar",
        ),
        ("placement offer PT 1 Feb - 12 Mar 2027 0 students at Ward 12", "from 1 to 30"),
        ("placement offer PT 1 Feb - 12 Mar 2027 500 students at Ward 12", "500 is outside"),
        ("placement offer PT 2 Nov - 11 Dec 2026 2 students at Ward 12", "has passed"),
        ("placement offer PT 2 students at Ward 12", "dates are missing"),
        ("placement offer PT 1 Feb 2027 2 students at Ward 12", "no end"),
        ("placement offer PT 1 Feb - 12 Mar 2027 2 students", "Say where the placement is"),
        (
            "placement offer PT 1 Feb - 12 Mar 2027 2 students at Ward 12 model 9:1",
            "not a supervision model",
        ),
        ("placement offer 🦄 1 Feb - 12 Mar 2027 2 students at Ward 12", "not one I know"),
        ("placement frobnicate", "don't know “placement frobnicate”"),
        ("DROP TABLE placement_offers; --", "didn't understand"),
        ("placement edit PL-2099-9999 capacity 2", "can't find the offer"),
        ("placement withdraw", "Which offer"),
        ("placement none BL-2027-9999", "no placement block"),
        ("nudges snooze forever", "how long to snooze"),
    ],
)
async def test_a_bad_line_is_explained_and_nothing_is_stored(
    chat: Chat, words: str, says: str
) -> None:
    before = await stored_counts(chat)
    reply = await chat.say("newcomer", words, name="Someone new")
    assert reply.tone == "error"
    assert says in reply.text
    assert reply.private
    assert await stored_counts(chat) == before  # not even the newcomer is recorded


async def test_an_offer_error_shows_a_correct_example_that_works(chat: Chat) -> None:
    reply = await chat.say("stroke-physio", "placement offer unicorn 1 Feb - 12 Mar 2027")
    example = reply.text.split("For example: ")[1]
    fixed = await chat.say("stroke-physio", example)
    assert fixed.tone == "success", fixed.text


async def test_empty_text_gets_a_hint_not_an_error(chat: Chat) -> None:
    reply = await chat.say("stroke-physio", "   ")
    assert "Type a command" in reply.text
    assert reply.facts  # the help list
    assert await chat.count(PlacementOffer) == 0


async def test_ten_kilobytes_of_text_is_refused_politely(chat: Chat) -> None:
    before = await stored_counts(chat)
    reply = await chat.say("newcomer", VALID + " notes " + "x" * 10_240)
    assert reply.tone == "error"
    assert "10,3" in reply.text and "at most 1,000" in reply.text
    assert await stored_counts(chat) == before


async def test_text_that_looks_like_sql_is_kept_as_text(chat: Chat) -> None:
    place = "Ward 1'); DROP TABLE placement_offers; --"
    reply = await chat.say(
        "stroke-physio", f"placement offer PT 1 Feb - 12 Mar 2027 1 student at {place}"
    )
    assert reply.tone == "success", reply.text
    async with chat.bot.sessions() as session:
        [stored] = (await session.execute(PlacementOffer.__table__.select())).all()
        tables = await session.run_sync(lambda s: sa_inspect(s.connection()).get_table_names())
    assert stored.place_text == place
    assert "placement_offers" in tables


async def test_an_edit_of_another_teams_offer_is_refused(chat: Chat) -> None:
    posted = await chat.say("stroke-physio", VALID)
    ref = fact(posted, "Reference")
    before = await stored_counts(chat)
    reply = await chat.say("community-ot", f"placement edit {ref} capacity 5")
    assert reply.tone == "error"
    assert "Only the team that offered" in reply.text
    assert (await chat.say("community-ot", f"placement withdraw {ref}")).tone == "error"
    assert (await chat.say("nottingham-lead", f"placement edit {ref} capacity 5")).tone == "error"
    assert await stored_counts(chat) == before


async def test_a_stale_version_is_refused_and_shows_the_offer_as_it_stands(chat: Chat) -> None:
    posted = await chat.say("stroke-physio", VALID)
    ref = fact(posted, "Reference")
    form = (await chat.press("stroke-physio", button(posted, "Edit"))).form
    assert form is not None
    await chat.say(
        "nuh-coordinator", f"placement edit {ref} capacity 3"
    )  # someone else saves first

    stale_form = await chat.submit("stroke-physio", form, capacity="1")
    assert stale_form.tone == "error"
    assert "changed since you opened it" in stale_form.text
    assert fact(stale_form, "Students") == "3"
    stale_button = await chat.press("stroke-physio", button(posted, "Withdraw"))
    assert stale_button.tone == "error"
    assert "version 2" in stale_button.text
    async with chat.bot.sessions() as session:
        [stored] = (await session.execute(PlacementOffer.__table__.select())).all()
    assert (stored.capacity, stored.status, stored.version) == (3, "offered", 2)


async def test_a_form_with_errors_comes_back_with_the_values_kept(chat: Chat) -> None:
    form = (await chat.say("stroke-physio", "placement offer")).form
    assert form is not None
    reply = await chat.submit(
        "stroke-physio",
        form,
        profession="PT",
        start="31/02/2027",
        end="12 Mar 2027",
        capacity="0",
        place="Ward 12",
    )
    assert reply.tone == "error"
    assert reply.form is not None
    fields = {field.name: field for field in reply.form.fields}
    assert "not a date in the calendar" in fields["start"].error
    assert (fields["capacity"].value, fields["place"].value) == ("0", "Ward 12")
    reply = await chat.submit(
        "stroke-physio",
        form,
        profession="PT",
        start="1 Feb 2027",
        end="12 Mar 2027",
        capacity="0",
        place="Ward 12",
    )
    assert reply.form is not None
    assert "from 1 to 30" in {f.name: f for f in reply.form.fields}["capacity"].error
    assert await chat.count(PlacementOffer) == 0


async def test_unknown_buttons_and_forms_are_answered_not_crashed(chat: Chat) -> None:
    actor = chat.actor("stroke-physio")
    for command in (
        Command(actor, action="offer.explode", value="x"),
        Command(actor, action="offer.withdraw", value="not-a-ref"),
        Command(actor, action="offer.withdraw", value=""),
        Command(actor, form_id="no.such.form", form_values={}),
        Command(actor, form_id="offer.create", form_values={"profession": "PT", "start": "🦄"}),
        Command(actor, form_id="offer.edit", form_values={"ref": "PL-2099-0001", "version": "x"}),
    ):
        reply = await chat.bot.handle(command)
        assert reply.tone == "error", command
        assert "went wrong on our side" not in reply.text, (command, reply.text)
    assert await chat.count(PlacementOffer) == 0


async def test_an_unknown_block_in_the_form_is_shown_beside_its_field(chat: Chat) -> None:
    form = (await chat.say("stroke-physio", "placement offer")).form
    assert form is not None
    reply = await chat.submit(
        "stroke-physio",
        form,
        profession="PT",
        start="1 Feb 2027",
        end="12 Mar 2027",
        capacity="2",
        place="Ward 12",
        block="BL-2099-0001",
    )
    assert reply.form is not None
    errors = {f.name: f.error for f in reply.form.fields if f.error}
    assert list(errors) == ["block"]
    assert "no placement block" in errors["block"]
    assert await chat.count(PlacementOffer) == 0
