"""A line read with a guess is shown as read, with Post and Edit, and stored only on Post; Post
posts once however often it is pressed; a second identical offer and a model that does not fit
the students are questioned first."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.kernel.messages import Reply
from storage.tables import PendingOffer, PlacementOffer
from tests.support.chat import Chat, button, fact

EXACT = "placement offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab"


async def offers(chat: Chat) -> list[PlacementOffer]:
    async with chat.bot.sessions() as session:
        return list((await session.execute(select(PlacementOffer))).scalars())


def labels(reply: Reply) -> list[str]:
    return [b.label for b in reply.buttons]


async def test_an_exact_line_is_posted_at_once(chat: Chat) -> None:
    reply = await chat.say("stroke-physio", EXACT)
    assert reply.tone == "success", reply.text
    assert await chat.count(PendingOffer) == 0


async def test_a_default_place_is_shown_first_and_nothing_is_stored_until_post(chat: Chat) -> None:
    reply = await chat.say(
        "stroke-physio", "placement offer physio 01/02/2027-12/03/2027 two students"
    )
    assert reply.text == (
        "Here is how I read it. No place was given, so I used your team, Stroke Rehab. "
        "Press Post to put it in the register, or Edit to change it."
    )
    assert labels(reply) == ["Post", "Edit"]
    assert fact(reply, "Students") == "2"
    assert fact(reply, "Dates") == "Mon 1 Feb 2027 – Fri 12 Mar 2027 (6 weeks)"
    assert await offers(chat) == []
    edit = await chat.press("stroke-physio", button(reply, "Edit"))
    assert edit.form is not None
    assert {f.name: f.value for f in edit.form.fields}["capacity"] == "2"
    posted = await chat.press("stroke-physio", button(reply, "Post"))
    assert posted.text.startswith("Thank you: offer PL-2027-")
    [stored] = await offers(chat)
    assert (stored.capacity, stored.place_text) == (2, "Stroke Rehab")


async def test_a_relative_date_says_today_and_the_dates_it_gave(chat: Chat) -> None:
    reply = await chat.say(
        "stroke-physio", "placement offer physio next monday for 4 weeks at Stroke Rehab"
    )
    assert reply.text.startswith(
        "Here is how I read it. Today is Mon 23 Nov 2026, so the dates are "
        "Mon 30 Nov 2026 – Fri 25 Dec 2026 (4 weeks)."
    )


async def test_an_assumed_year_and_weeks_and_days_are_shown(chat: Chat) -> None:
    reply = await chat.say("stroke-physio", "placement offer OT 3/3 - 14/4 at Stroke Rehab")
    assert reply.text.startswith(
        "Here is how I read it. No year was given, so I read the dates as "
        "Wed 3 Mar 2027 – Wed 14 Apr 2027 (6 weeks 1 day)."
    )


async def test_a_double_click_on_post_posts_once(chat: Chat) -> None:
    reply = await chat.say("stroke-physio", "placement offer PT 1 Feb - 12 Mar 2027 2 students")
    post = button(reply, "Post")
    first = await chat.press("stroke-physio", post)
    again = await chat.press("stroke-physio", post)
    ref = fact(first, "Reference")
    assert again.text == f"Already posted: {ref}."
    assert [o.ref for o in await offers(chat)] == [ref]


async def test_two_posts_at_the_same_moment_post_once(chat: Chat) -> None:
    reply = await chat.say("stroke-physio", "placement offer PT 1 Feb - 12 Mar 2027 2 students")
    post = button(reply, "Post")
    answers = await asyncio.gather(*(chat.press("stroke-physio", post) for _ in range(3)))
    refs = {fact(answer, "Reference") for answer in answers if answer.tone == "success"}
    assert len(await offers(chat)) == 1
    assert refs == {(await offers(chat))[0].ref}


async def test_someone_else_cannot_post_a_reading(chat: Chat) -> None:
    reply = await chat.say("stroke-physio", "placement offer PT 1 Feb - 12 Mar 2027 2 students")
    other = await chat.press("ward12-physio", button(reply, "Post"))
    assert other.tone == "error"
    assert other.text.startswith("That reading of an offer is no longer waiting.")
    assert await offers(chat) == []


async def test_the_same_offer_again_asks_before_a_second(chat: Chat) -> None:
    ref = fact(await chat.say("stroke-physio", EXACT), "Reference")
    again = await chat.say("stroke-physio", EXACT)
    assert again.text == (
        f"Here is how I read it. {ref} is the same offer and is still open: post a second one? "
        "Press Post to put it in the register, or Edit to change it."
    )
    assert len(await offers(chat)) == 1
    second = await chat.press("stroke-physio", button(again, "Post"))
    assert second.tone == "success" and fact(second, "Reference") != ref
    assert len(await offers(chat)) == 2


async def test_a_model_that_does_not_fit_the_students_is_questioned(chat: Chat) -> None:
    reply = await chat.say(
        "stroke-physio",
        "placement offer PT 1 Feb - 12 Mar 2027 3 students at Stroke Rehab model 2:1",
    )
    assert reply.text == (
        "Here is how I read it. Model 2:1 is two students to each educator, but the offer is "
        "for 3 students: is that right? Press Post to put it in the register, or Edit to "
        "change it."
    )
    fits = await chat.say(
        "stroke-physio",
        "placement offer PT 1 Feb - 12 Mar 2027 4 students at Stroke Rehab model 2:1",
    )
    assert fits.tone == "success", fits.text


async def test_a_leftover_is_refused_never_a_place(chat: Chat) -> None:
    for line, said in (
        ("PT 01/02/2027-12/03/2027 2 students 17", "I could not read “17”"),
        ("PT 01/02/2027-12/03/2027 2 students at", "“at” needs the place after it"),
    ):
        reply = await chat.say("stroke-physio", f"placement offer {line}")
        assert reply.tone == "error" and reply.text.startswith(said), reply.text
    assert await offers(chat) == [] and await chat.count(PendingOffer) == 0
