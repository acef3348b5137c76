"""Nudges about educator training this week, for the person's profession, once per event."""

from __future__ import annotations

from tests.support.faculty import Faculty, facts


async def test_training_for_the_persons_profession_this_week_comes_with_a_booking_link(
    faculty: Faculty,
) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",))
    uid = await faculty.training("Practice educator update", in_days=3)
    await faculty.training("OT supervision", in_days=2, professions=("OT",))
    await faculty.training("Next month's course", in_days=10)
    await faculty.scan()
    [nudge] = await faculty.nudges("physio")
    assert (nudge.kind, nudge.subject, nudge.outcome) == ("training", uid, "info")
    await faculty.deliver()
    reply = faculty.last_message("physio")
    assert reply.text == (
        "Educator training coming up: Practice educator update, Thu 26 Nov 2026 at 10:00. "
        "Book with the button below."
    )
    [book] = reply.buttons
    assert (book.label, book.url) == ("Book", "https://events.example.org/book")
    assert facts(reply)["For"] == "PT"


async def test_training_for_every_profession_is_nudged_once_per_event(faculty: Faculty) -> None:
    await faculty.person("ot", team="community", professions=("OT",))
    first = await faculty.training("Educator essentials", in_days=3, professions=())
    second = await faculty.training("Educator essentials part 2", in_days=4, professions=())
    await faculty.scan()
    await faculty.next_working_day()
    await faculty.scan()
    await faculty.next_working_day()
    await faculty.scan()
    assert [n.subject for n in await faculty.nudges("ot")] == [first, second]
