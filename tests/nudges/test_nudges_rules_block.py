"""Nudges about blocks whose offers close soon and that the team has not answered, and the four
answers a nudge offers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from storage.tables import CapacityAnswer
from tests.support.faculty import MONDAY, SCAN, Faculty, facts, labels, the_button


async def test_a_block_closing_soon_asks_the_team_with_four_answers(faculty: Faculty) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",))
    ref = await faculty.block("PT", closes_in=10, students=6, cohort="PT year 2 block 2")
    await faculty.scan()
    [nudge] = await faculty.nudges("physio")
    assert (nudge.kind, nudge.subject) == ("block", ref)
    await faculty.deliver()
    reply = faculty.last_message("physio")
    assert reply.text.startswith(
        "Could Stroke Rehab offer placements for University of Nottingham's PT year 2 block 2? "
        "Offers close in 10 days."
    )
    assert facts(reply) == {
        "Block": f"{ref} · PT year 2 block 2",
        "HEI": "University of Nottingham",
        "Dates": "Thu 24 Dec 2026 – Thu 4 Feb 2027 (6 weeks 1 day)",
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
    opened = await faculty.chat.press("physio", the_button(reply, "Offer places"))
    assert opened.form is not None
    maybe = await faculty.chat.press("physio", the_button(reply, "Maybe"))
    assert maybe.tone == "success", maybe.text
    [answer] = await faculty.rows(CapacityAnswer)
    assert (answer.answer, answer.ask_again_on) == ("maybe", date(2026, 11, 30))


async def test_no_maybe_button_when_offers_close_too_soon_to_ask_again(faculty: Faculty) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",))
    await faculty.block("PT", closes_in=2)
    await faculty.scan()
    await faculty.deliver()
    reply = faculty.last_message("physio")
    assert labels(reply) == ["Offer places", "No capacity this block", "Snooze a week"]
    assert "Offers close in 2 days" in reply.text


async def test_blocks_answered_offered_on_full_far_off_or_of_another_profession_are_not_nudged(
    faculty: Faculty,
) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",))
    await faculty.person("colleague", team="stroke", professions=("PT",))
    answered = await faculty.block("PT", closes_in=5)
    await faculty.chat.say("colleague", f"placement none {answered}")
    offered_on = await faculty.block("PT", closes_in=5)
    await faculty.offer("colleague", starts_in=40, status="confirmed", block=offered_on)
    full = await faculty.block("PT", closes_in=5, students=2)
    await faculty.offer("colleague", starts_in=40, team=None, block=full)
    await faculty.block("PT", closes_in=20)
    await faculty.block("OT", closes_in=5)
    # the colleague's own offer on `full` answers for them, not for the team; it fills the block
    assert (await faculty.scan()).startswith("0 nudges queued")
    assert await faculty.nudges() == []


async def maybe(faculty: Faculty, ref: str, ask_again: date | None) -> None:
    """The team said maybe five days ago."""
    await faculty.build.answer(
        faculty.blocks[ref],
        "maybe",
        faculty.named["physio"],
        team=faculty.named["stroke"],
        ask_again_on=ask_again,
        answered_at=SCAN - timedelta(days=5),
    )


@pytest.mark.parametrize(
    ("ask_again", "nudged"),
    [(MONDAY + timedelta(days=3), False), (MONDAY, True), (MONDAY - timedelta(days=2), True)],
)
async def test_a_maybe_holds_until_its_date_and_then_the_team_is_asked_again(
    faculty: Faculty, ask_again: date, nudged: bool
) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",))
    ref = await faculty.block("PT", closes_in=12)
    await maybe(faculty, ref, ask_again)
    await faculty.scan()
    assert [(n.kind, n.subject) for n in await faculty.nudges("physio")] == (
        [("block", ref)] if nudged else []
    )


async def test_a_maybe_without_a_date_is_asked_again_a_week_later(faculty: Faculty) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",))
    ref = await faculty.block("PT", closes_in=12)
    await maybe(faculty, ref, None)  # five days ago
    await faculty.scan()
    assert await faculty.nudges("physio") == []
    faculty.clock.at += timedelta(days=2)  # Wednesday: a week since the maybe
    await faculty.scan()
    assert [n.subject for n in await faculty.nudges("physio")] == [ref]


async def test_a_coordinator_without_a_team_answers_for_themselves(faculty: Faculty) -> None:
    await faculty.person("coordinator", "coordinator", professions=("OT",))
    ref = await faculty.block("OT", closes_in=6)
    await faculty.scan()
    await faculty.deliver()  # answered from the nudge itself, once it arrived
    [nudge] = await faculty.nudges("coordinator")
    assert nudge.subject == ref
    reply = faculty.last_message("coordinator")
    assert reply.text.startswith("Could you offer placements")
    await faculty.chat.press("coordinator", the_button(reply, "No capacity"))
    [answer] = await faculty.rows(CapacityAnswer)
    assert answer.respondent_key == f"person:{faculty.ids['coordinator']}"
    await faculty.next_working_day()
    await faculty.scan()
    assert [n.outcome for n in await faculty.nudges("coordinator")] == ["acted"]


async def test_the_team_is_asked_again_on_its_maybe_date_even_within_the_week(
    faculty: Faculty,
) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",))
    ref = await faculty.block("PT", closes_in=12)
    await faculty.scan()
    faculty.clock.at += timedelta(minutes=30)
    await faculty.chat.say("physio", f"placement maybe {ref} ask again Wed 25 Nov")
    await faculty.next_working_day()
    await faculty.scan()
    assert len(await faculty.nudges("physio")) == 1  # Tuesday: the maybe holds
    await faculty.next_working_day()
    await faculty.scan()
    assert [(n.subject, n.sent_on) for n in await faculty.nudges("physio")] == [
        (ref, MONDAY),
        (ref, date(2026, 11, 25)),
    ]


async def test_hei_leads_and_unreachable_people_get_no_block_nudges(faculty: Faculty) -> None:
    await faculty.person("hei-lead", "hei_lead", organisation="hei", professions=("PT",))
    await faculty.person("no-chat", team="stroke", professions=("PT",), reachable=False)
    await faculty.block("PT", closes_in=5)
    await faculty.scan()
    assert await faculty.nudges() == []
