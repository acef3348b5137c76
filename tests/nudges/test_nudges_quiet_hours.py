"""Nudges wait for a person's working hours and skip their days off."""

from __future__ import annotations

from datetime import UTC, datetime, time

from bot.delivery import queue as outbox
from tests.support.faculty import Faculty


async def test_nudges_wait_for_the_start_of_working_hours(faculty: Faculty) -> None:
    await faculty.person(
        "late-starter", team="stroke", professions=("PT",), work_starts=time(10), work_ends=time(16)
    )
    await faculty.block("PT", closes_in=5)
    await faculty.scan()
    [delivery] = await faculty.outbox("late-starter")
    assert delivery.next_attempt_at == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    async with faculty.sessions.begin() as session:
        assert await outbox.claim(session, faculty.clock.now(), 10) == []  # not yet
    assert await faculty.deliver() == []
    faculty.clock.at = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert faculty.sent_to("late-starter") == []
    [got] = await faculty.deliver()
    assert (got.person_id, got.at) == (faculty.ids["late-starter"], faculty.clock.now())


async def test_nothing_on_a_day_off_or_after_hours(faculty: Faculty) -> None:
    await faculty.person("part-time", team="stroke", professions=("PT",), working_days="2345")
    await faculty.person("early", team="stroke", professions=("PT",), work_ends=time(9, 15))
    await faculty.block("PT", closes_in=5)
    await faculty.scan()
    assert await faculty.nudges() == []
    await faculty.next_working_day()
    await faculty.scan()
    assert [n.person_id for n in await faculty.nudges()] == [faculty.ids["part-time"]]
