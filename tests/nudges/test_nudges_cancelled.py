"""A queued nudge that no longer applies (withdrawn, answered, snoozed, too late) is never sent."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from tests.support.faculty import Faculty

AFTERNOONS = {"work_starts": time(13), "work_ends": time(17)}  # queued at 09:30 for 13:00
ONE_PM = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)


async def outcome(faculty: Faculty, who: str) -> str:
    [nudge] = await faculty.nudges(who)
    return nudge.outcome


async def test_a_nudge_queued_for_the_afternoon_goes_then_and_expires_at_the_end_of_the_day(
    faculty: Faculty,
) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",), **AFTERNOONS)
    await faculty.block("PT", closes_in=10)
    await faculty.scan()
    [queued] = await faculty.outbox("physio")
    assert (queued.status, queued.next_attempt_at, queued.expires_at) == (
        "pending",
        ONE_PM,
        datetime(2026, 11, 23, 17, 0, tzinfo=UTC),
    )
    faculty.clock.at = ONE_PM
    await faculty.deliver()
    assert faculty.sent_to("physio") == [f"nudge:{faculty.ids['physio']}:2026-11-23"]
    [delivery] = await faculty.outbox("physio")
    assert delivery.status == "sent"


@pytest.mark.parametrize(
    "command", ["nudges off", "nudges snooze 1w", "nudges snooze until 12 Jan"]
)
async def test_turning_nudges_off_or_snoozing_cancels_the_one_queued(
    faculty: Faculty, command: str
) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",), **AFTERNOONS)
    await faculty.block("PT", closes_in=10)
    await faculty.scan()
    faculty.clock.at = datetime(2026, 11, 23, 9, 45, tzinfo=UTC)
    assert (await faculty.chat.say("physio", command)).tone != "error"
    faculty.clock.at = ONE_PM
    await faculty.deliver()
    assert faculty.inbox.received == []
    [delivery] = await faculty.outbox("physio")
    assert delivery.status == "cancelled"
    await faculty.settle()
    assert await outcome(faculty, "physio") == "info"  # neither acted on nor ignored
    assert (await faculty.person_row("physio")).ignored_nudges == 0


async def test_a_block_answered_by_the_team_is_not_asked_of_it_but_still_of_others(
    faculty: Faculty,
) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",), **AFTERNOONS)
    await faculty.person("colleague", team="stroke", professions=("PT",), **AFTERNOONS)
    await faculty.person("coordinator", "coordinator", professions=("PT",), **AFTERNOONS)
    ref = await faculty.block("PT", closes_in=10)
    await faculty.scan()
    assert {n.subject for n in await faculty.nudges()} == {ref}
    faculty.clock.at = datetime(2026, 11, 23, 9, 45, tzinfo=UTC)
    assert (await faculty.chat.say("colleague", f"placement none {ref}")).tone == "success"
    faculty.clock.at = ONE_PM
    await faculty.deliver()
    assert faculty.inbox.people() == [faculty.ids["coordinator"]]
    assert [d.status for d in await faculty.outbox("physio")] == ["cancelled"]
    await faculty.settle()
    assert await outcome(faculty, "physio") == "info"
    assert await outcome(faculty, "colleague") == "info"
    assert await outcome(faculty, "coordinator") == "open"  # delivered, not yet answered


async def test_an_offer_posted_on_the_block_cancels_the_teams_nudges(faculty: Faculty) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",), **AFTERNOONS)
    await faculty.person("colleague", team="stroke", professions=("PT",), **AFTERNOONS)
    ref = await faculty.block("PT", closes_in=10)
    await faculty.scan()
    faculty.clock.at = datetime(2026, 11, 23, 9, 45, tzinfo=UTC)
    posted = await faculty.chat.say(
        "colleague",
        f"placement offer PT 25 Jan - 5 Mar 2027 3 students at Stroke Rehab block {ref}",
    )
    assert posted.tone == "success", posted.text
    faculty.clock.at = ONE_PM
    await faculty.deliver()
    assert faculty.inbox.received == []
    await faculty.settle()
    assert [n.outcome for n in await faculty.nudges()] == ["info", "info"]


@pytest.mark.parametrize(
    "command",
    [
        "placement withdraw {ref} staff sickness",
        "placement confirm {ref}",
        "placement decline {ref} no educator that week",
        "placement edit {ref} capacity 3",
    ],
)
async def test_an_offer_answered_before_its_nudge_goes_is_not_nudged(
    faculty: Faculty, command: str
) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",), **AFTERNOONS)
    ref = await faculty.offer("physio", starts_in=10)
    await faculty.request(ref)
    await faculty.scan()
    [nudge] = await faculty.nudges("physio")
    assert (nudge.kind, nudge.subject) == ("offer_start", ref)
    faculty.clock.at = datetime(2026, 11, 23, 9, 45, tzinfo=UTC)
    answered = await faculty.chat.say("physio", command.format(ref=ref))
    assert answered.tone != "error", answered.text
    faculty.clock.at = ONE_PM
    await faculty.deliver()
    assert faculty.inbox.received == []
    [delivery] = await faculty.outbox("physio")
    assert delivery.status == "cancelled"
    await faculty.settle()
    assert await outcome(faculty, "physio") == "info"


@pytest.mark.parametrize(
    "sender_back",
    [
        datetime(2026, 11, 27, 17, 30, tzinfo=UTC),  # Friday, after hours
        datetime(2026, 11, 28, 10, 0, tzinfo=UTC),  # Saturday, a day off
    ],
)
async def test_a_nudge_the_worker_could_not_send_that_day_expires_unsent(
    faculty: Faculty, sender_back: datetime
) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",))
    faculty.clock.at = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)  # Friday's scan
    await faculty.block("PT", closes_in=10)
    await faculty.scan()
    faculty.clock.at = sender_back  # the worker was down from Friday 09:30 until now
    await faculty.deliver()
    assert faculty.inbox.received == []
    [delivery] = await faculty.outbox("physio")
    assert (delivery.status, delivery.sent_at) == ("expired", None)
    await faculty.settle()
    assert await outcome(faculty, "physio") == "info"
    assert (await faculty.person_row("physio")).ignored_nudges == 0


async def test_the_third_ignored_nudge_cancels_the_one_queued_today(faculty: Faculty) -> None:
    quiet = await faculty.person(
        "quiet", team="stroke", professions=("PT",), ignored_nudges=2, **AFTERNOONS
    )
    friday = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # delivered three days before 10:00
    await faculty.build.nudge(quiet, "block", "BL-2027-0999", friday, "open")
    await faculty.build.delivery(
        quiet, "Friday's nudge", f"nudge:{quiet}:2026-11-20", "sent", friday, sent_at=friday
    )
    today = await faculty.block("PT", closes_in=10)
    await faculty.scan()  # 09:30: Friday's is not ignored yet; today's is queued for 13:00
    assert [n.subject for n in await faculty.nudges("quiet")] == ["BL-2027-0999", today]
    faculty.clock.at = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    await faculty.settle()  # Friday's is the third ignored in a row
    assert (await faculty.person_row("quiet")).paused
    faculty.clock.at = ONE_PM
    await faculty.deliver()
    assert faculty.sent_to("quiet") == []
    assert faculty.sent_to("lead") != []  # the faculty lead is still told
    await faculty.settle()
    assert [n.outcome for n in await faculty.nudges("quiet")] == ["ignored", "info"]
