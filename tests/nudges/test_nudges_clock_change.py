"""Nudge days and hours in London time, across the clock change and just after midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from tests.support.faculty import Faculty


async def test_a_week_across_the_clock_change_uses_london_times(faculty: Faculty) -> None:
    # The clocks go back at 02:00 on Sunday 25 October 2026.
    await faculty.person(
        "physio", team="stroke", professions=("PT",), work_starts=time(10), work_ends=time(16)
    )
    faculty.clock.at = datetime(2026, 10, 23, 8, 30, tzinfo=UTC)  # Friday 09:30 BST
    friday = await faculty.training("Friday session", in_days=5)
    await faculty.scan()
    [queued_friday] = await faculty.outbox("physio")
    faculty.clock.at = datetime(2026, 10, 23, 9, 0, tzinfo=UTC)  # 10:00 BST
    [first] = await faculty.deliver()
    faculty.clock.at = datetime(2026, 10, 26, 9, 30, tzinfo=UTC)  # Monday 09:30 GMT
    monday = await faculty.training("Monday session", in_days=3)
    await faculty.scan()
    nudged = await faculty.nudges("physio")
    assert [(n.subject, n.sent_on) for n in nudged] == [
        (friday, date(2026, 10, 23)),
        (monday, date(2026, 10, 26)),
    ]
    queued_monday = (await faculty.outbox("physio"))[-1]
    sent = [queued_friday.next_attempt_at, queued_monday.next_attempt_at]
    assert sent == [  # 10:00 in London both days
        datetime(2026, 10, 23, 9, 0, tzinfo=UTC),
        datetime(2026, 10, 26, 10, 0, tzinfo=UTC),
    ]
    assert "Wed 28 Oct 2026 at 10:00" in first.text  # 10:00 GMT, shown as London time


async def test_a_scan_just_after_midnight_belongs_to_the_london_day(faculty: Faculty) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",))
    faculty.clock.at = datetime(2026, 10, 18, 23, 30, tzinfo=UTC)  # Monday 00:30 BST
    await faculty.training("Educator update", in_days=2)
    await faculty.scan()
    [nudge] = await faculty.nudges("physio")
    assert nudge.sent_on == date(2026, 10, 19)
    [delivery] = await faculty.outbox("physio")
    assert delivery.next_attempt_at == datetime(2026, 10, 19, 8, 0, tzinfo=UTC)  # 09:00 BST
