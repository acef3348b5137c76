"""Snoozing and opting out: who is left alone, and what `nudges status` says."""

from __future__ import annotations

from datetime import date, time, timedelta

from tests.support.faculty import MONDAY, Faculty


async def test_snoozed_and_opted_out_people_are_left_alone(faculty: Faculty) -> None:
    await faculty.person("snoozer", team="stroke", professions=("PT",))
    await faculty.person("off", team="stroke", professions=("PT",))
    await faculty.person(
        "back", team="stroke", professions=("PT",), snoozed_until=MONDAY - timedelta(1)
    )
    await faculty.block("PT", closes_in=10)
    assert (
        "snoozed until Mon 7 Dec 2026"
        in (await faculty.chat.say("snoozer", "nudges snooze 2w")).text
    )
    assert "off" in (await faculty.chat.say("off", "nudges off")).text
    await faculty.scan()
    assert [n.person_id for n in await faculty.nudges()] == [faculty.ids["back"]]


async def test_snooze_until_a_date(faculty: Faculty) -> None:
    await faculty.person("snoozer", team="stroke", professions=("PT",))
    reply = await faculty.chat.say("snoozer", "nudges snooze until 12 Jan")
    assert reply.text.startswith("Your nudges are snoozed until Tue 12 Jan 2027")
    assert (await faculty.person_row("snoozer")).snoozed_until == date(2027, 1, 12)
    refused = await faculty.chat.say("snoozer", "nudges snooze until 1 Jan 2030")
    assert refused.tone == "error"
    assert "up to 12 weeks" in refused.text
    refused = await faculty.chat.say("snoozer", "nudges snooze until someday")
    assert refused.tone == "error"
    assert "nudges snooze until 12 Jan" in refused.text


async def test_status_says_when_nudges_come(faculty: Faculty) -> None:
    await faculty.person(
        "physio", team="stroke", work_starts=time(8, 30), work_ends=time(16), working_days="1234"
    )
    status = await faculty.chat.say("physio", "nudges status")
    assert status.text == (
        "Your nudges are on: at most one a day, Monday to Thursday, 08:30–16:00 "
        "(London time), and only when something needs you."
    )
