"""Acted on or ignored: three ignored nudges pause a person and tell the faculty lead, once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from storage.tables import AuditEvent, Delivery
from tests.support.faculty import Faculty, the_button


async def test_three_ignored_nudges_pause_the_person_and_the_faculty_lead_is_told_once(
    faculty: Faculty,
) -> None:
    await faculty.person("quiet", team="stroke", professions=("PT",))
    refs = [await faculty.block("PT", closes_in=12) for _ in range(3)]
    for _ in range(3):  # Mon, Tue, Wed: one block each, delivered, never answered
        await faculty.scan()
        await faculty.deliver()
        await faculty.next_working_day()
    assert [n.subject for n in await faculty.nudges("quiet")] == refs
    await faculty.scan()  # Thursday: Monday's is ignored; nothing new to ask
    assert [n.outcome for n in await faculty.nudges("quiet")] == ["ignored", "open", "open"]
    assert (await faculty.person_row("quiet")).ignored_nudges == 1
    await faculty.next_working_day()
    await faculty.scan()  # Friday: Tuesday's too
    assert (await faculty.person_row("quiet")).ignored_nudges == 2
    await faculty.deliver()
    assert faculty.received("lead") == []
    await faculty.next_working_day()
    await faculty.scan()  # Monday: Wednesday's is the third in a row
    person = await faculty.person_row("quiet")
    assert (person.ignored_nudges, person.paused) == (3, True)
    await faculty.deliver()
    [told] = faculty.received("lead")
    assert told.key == f"paused:{person.id}:2026-11-30:{faculty.ids['lead']}"
    assert told.text.startswith(
        "I've paused nudges for Quiet (Stroke Rehab, City Hospitals Trust): the last three went "
        "unanswered"
    )
    [event] = await faculty.rows(AuditEvent, AuditEvent.action == "nudges.pause")
    assert (event.entity_ref, event.actor_id) == (str(person.id), None)
    nudged = len(await faculty.nudges("quiet"))
    for _ in range(3):  # paused: no more nudges, and the lead is not told again
        await faculty.deliver()
        await faculty.scan()
        await faculty.next_working_day()
    assert len(await faculty.nudges("quiet")) == nudged
    await faculty.deliver()
    assert len(faculty.received("lead")) == 1
    status = await faculty.chat.say("quiet", "nudges status")
    assert "paused after three unanswered nudges" in status.text
    resumed = await faculty.chat.say("quiet", "nudges on")
    assert resumed.text.startswith("Your nudges are on")
    person = await faculty.person_row("quiet")
    assert (person.paused, person.ignored_nudges) == (False, 0)


async def test_answering_the_subject_counts_as_acted_and_resets_the_count(faculty: Faculty) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",), ignored_nudges=2)
    await faculty.person("colleague", team="stroke", professions=("PT",))
    ref = await faculty.block("PT", closes_in=12)
    await faculty.scan()
    await faculty.deliver()
    faculty.clock.at += timedelta(hours=2)
    await faculty.chat.say("colleague", f"placement none {ref}")  # the team answered
    await faculty.next_working_day()
    await faculty.scan()
    outcomes = {n.person_id: n.outcome for n in await faculty.nudges()}
    assert outcomes == {faculty.ids["physio"]: "acted", faculty.ids["colleague"]: "acted"}
    assert (await faculty.person_row("physio")).ignored_nudges == 0


async def test_pressing_snooze_counts_as_acted(faculty: Faculty) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",), ignored_nudges=2)
    await faculty.block("PT", closes_in=12)
    await faculty.scan()
    await faculty.deliver()
    reply = faculty.last_message("physio")
    faculty.clock.at += timedelta(hours=1)
    snoozed = await faculty.chat.press("physio", the_button(reply, "Snooze"))
    assert "snoozed until Mon 30 Nov 2026" in snoozed.text
    for _ in range(4):
        await faculty.next_working_day()
        await faculty.scan()
    [nudge] = await faculty.nudges("physio")
    assert nudge.outcome == "acted"
    assert (await faculty.person_row("physio")).ignored_nudges == 0


async def test_withdrawing_the_offer_from_the_nudge_counts_as_acted(faculty: Faculty) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",))
    await faculty.offer("physio", starts_in=8)
    await faculty.scan()
    await faculty.deliver()
    reply = faculty.last_message("physio")
    faculty.clock.at += timedelta(minutes=5)
    asking = await faculty.chat.press("physio", the_button(reply, "Withdraw"))
    withdrawn = await faculty.chat.press("physio", the_button(asking, "Yes, withdraw"))
    assert "is withdrawn" in withdrawn.text
    await faculty.next_working_day()
    await faculty.scan()
    [nudge] = await faculty.nudges("physio")
    assert nudge.outcome == "acted"


async def test_an_undelivered_nudge_never_counts_as_ignored(faculty: Faculty) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",))
    await faculty.block("PT", closes_in=12)
    await faculty.scan()
    async with faculty.sessions.begin() as session:
        await session.execute(update(Delivery).values(status="failed"))
    for _ in range(4):
        await faculty.next_working_day()
        await faculty.scan()
    first = (await faculty.nudges("physio"))[0]
    assert first.outcome == "info"
    assert (await faculty.person_row("physio")).ignored_nudges == 0
