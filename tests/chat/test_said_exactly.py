"""A refusal says exactly what was not understood and shows an example of the same command; an
edit says what it changed, old -> new; a maybe says when the bot will ask again."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from storage.tables import CapacityAnswer, PlacementBlock, PlacementOffer
from tests.support.chat import Chat, fact

BLOCK = "placement block add OT year 2 block 1 1 Mar - 9 Apr 2027 8 students"


async def offer(chat: Chat) -> PlacementOffer:
    async with chat.bot.sessions() as session:
        return (await session.execute(select(PlacementOffer))).scalar_one()


@pytest.mark.parametrize(
    ("words", "said", "example"),
    [
        (
            "placement none XX-1",
            "“XX-1” is not a block reference; block references look like BL-2027-0001.",
            "placement none BL-2027-0001",
        ),
        (
            "placement maybe PL-2027-0001 ask again 12 Jan",
            "PL-2027-0001 is an offer reference; this needs a block reference, like BL-2027-0001.",
            "placement maybe BL-2027-0001 ask again 12 Jan",
        ),
        (
            "placement withdraw BL-2027-0001",
            "BL-2027-0001 is a block reference; this needs an offer reference, like PL-2027-0042.",
            "placement withdraw PL-2027-0042 staff sickness",
        ),
        (
            "placement none",
            "Which block? Give its reference, like BL-2027-0001.",
            "placement none BL-2027-0001",
        ),
    ],
)
async def test_a_wrong_reference_is_named_for_what_it_is(
    chat: Chat, words: str, said: str, example: str
) -> None:
    reply = await chat.say("stroke-physio", words)
    assert (reply.tone, reply.text) == ("error", f"{said}\nFor example: {example}")
    assert await chat.count(CapacityAnswer) == 0


async def test_a_start_after_the_end_says_to_move_both_and_the_example_works(chat: Chat) -> None:
    ref = fact(
        await chat.say(
            "stroke-physio", "placement offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab"
        ),
        "Reference",
    )
    refused = await chat.say("stroke-physio", f"placement edit {ref} start 20 Mar 2027")
    assert (refused.tone, refused.text) == (
        "error",
        "The new start, Sat 20 Mar 2027, is after the offer's end, Fri 12 Mar 2027: to move "
        "the placement, give both dates.\n"
        f"For example: placement edit {ref} dates 20 Mar 2027 - 28 Apr 2027",
    )
    assert (await offer(chat)).version == 1
    example = refused.text.split("For example: ")[1]
    moved = await chat.say("stroke-physio", example)
    assert moved.tone == "success", moved.text
    stored = await offer(chat)
    assert (stored.start_date, stored.end_date) == (date(2027, 3, 20), date(2027, 4, 28))
    # and a start that keeps inside the placement is simply taken
    later = await chat.say("stroke-physio", f"placement edit {ref} start 22 Mar 2027")
    assert later.tone == "success", later.text
    assert (await offer(chat)).start_date == date(2027, 3, 22)


async def test_an_edit_says_what_changed_old_to_new(chat: Chat) -> None:
    ref = fact(
        await chat.say(
            "stroke-physio", "placement offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab"
        ),
        "Reference",
    )
    edited = await chat.say("stroke-physio", f"placement edit {ref} capacity 3")
    assert edited.text == f"Saved {ref} (version 2). Changed: Students 2 → 3."
    assert ((await offer(chat)).capacity, (await offer(chat)).version) == (3, 2)
    same = await chat.say("stroke-physio", f"placement edit {ref} capacity 3")
    assert same.text == f"Nothing changed: {ref} already says that (version 2)."
    assert (await offer(chat)).version == 2
    form = (await chat.say("stroke-physio", f"placement edit {ref}")).form
    assert form is not None
    saved = await chat.submit("stroke-physio", form, capacity="4", notes="parking on site")
    assert saved.text == (
        f"Saved {ref} (version 3). Changed: Students 3 → 4; Notes (none) → parking on site."
    )
    stored = await offer(chat)
    assert (stored.capacity, stored.notes) == (4, "parking on site")


@pytest.mark.parametrize(
    ("tail", "missing"),
    [
        ("", "when offers close (“close 1 Dec”)"),
        (" close 1 Feb", None),
    ],
)
async def test_a_block_missing_only_its_closing_date_is_told_just_that(
    chat: Chat, tail: str, missing: str | None
) -> None:
    before = await chat.count(PlacementBlock)
    reply = await chat.say("shu-lead", BLOCK + tail)
    if missing is None:
        assert reply.tone == "success", reply.text
        assert await chat.count(PlacementBlock) == before + 1
        return
    assert reply.text == (
        f"The block needs {missing}.\nFor example: placement block add PT year 2 block 2 "
        "13 Jan - 21 Feb 2027 12 students close 1 Dec"
    )
    assert await chat.count(PlacementBlock) == before


async def test_a_block_missing_several_parts_names_each(chat: Chat) -> None:
    reply = await chat.say("shu-lead", "placement block add OT year 2 close 1 Feb")
    assert reply.text.startswith(
        "The block needs its dates (“13 Jan - 21 Feb 2027”) and the students to place "
        "(“12 students”).\n"
    )


async def test_a_maybe_without_a_date_says_when_it_will_ask_again(chat: Chat) -> None:
    reply = await chat.say("stroke-physio", "placement maybe BL-2027-0001")
    assert reply.text == (
        "Noted: maybe for BL-2027-0001. I'll ask again on Mon 30 Nov 2026; to choose the "
        "day, say `placement maybe BL-2027-0001 ask again 12 Jan`."
    )
    async with chat.bot.sessions() as session:
        [answer] = (await session.execute(select(CapacityAnswer))).scalars().all()
    assert (answer.answer, answer.ask_again_on) == ("maybe", None)
    dated = await chat.say("stroke-physio", "placement maybe BL-2027-0001 ask again 14 Dec")
    assert dated.text == "Noted: maybe for BL-2027-0001. I'll ask again on Mon 14 Dec 2026."
    late = await chat.say("stroke-physio", "placement maybe BL-2027-0001 ask again 4 Jan")
    assert late.text == (
        "Noted: maybe for BL-2027-0001. Offers close on Mon 28 Dec 2026, before I would ask "
        "again (Mon 4 Jan 2027), so I won't: answer `placement none BL-2027-0001` or offer "
        "places before then."
    )
