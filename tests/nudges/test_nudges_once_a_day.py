"""One nudge a day, the most pressing first, however many scans run."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.support.faculty import Faculty


async def test_one_nudge_a_day_most_pressing_first(faculty: Faculty) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",))
    offer = await faculty.offer("physio", starts_in=12)
    block = await faculty.block("PT", closes_in=4)
    event = await faculty.training("Educator update", in_days=5)
    days = []
    for _ in range(4):
        await faculty.scan()
        await faculty.deliver()
        days.append(faculty.clock.today())
        await faculty.next_working_day()
    assert [(n.kind, n.subject, n.sent_on) for n in await faculty.nudges("physio")] == [
        ("offer_start", offer, days[0]),
        ("block", block, days[1]),
        ("training", event, days[2]),
    ]
    assert len(faculty.received("physio")) == 3


async def test_a_second_scan_the_same_day_queues_nothing_new(faculty: Faculty) -> None:
    for n in range(5):
        await faculty.person(f"physio-{n}", team="stroke", professions=("PT",))
    await faculty.block("PT", closes_in=5)
    assert (await faculty.scan()).startswith("5 nudges queued")
    faculty.clock.at += timedelta(minutes=20)
    assert (await faculty.scan()).startswith("0 nudges queued")
    assert len(await faculty.nudges()) == 5
    await faculty.deliver()
    assert len(faculty.inbox.received) == 5


async def test_two_scans_at_the_same_moment_queue_one_nudge_each(faculty: Faculty) -> None:
    for n in range(12):
        await faculty.person(f"physio-{n}", team="stroke", professions=("PT",))
    await faculty.block("PT", closes_in=5)
    await faculty.offer("physio-0", starts_in=6)
    results = await asyncio.gather(faculty.scan(), faculty.scan(), faculty.scan())
    assert sum(int(result.split()[0]) for result in results) == 12
    nudged = await faculty.nudges()
    assert sorted(n.person_id for n in nudged) == sorted(
        faculty.ids[f"physio-{n}"] for n in range(12)
    )
    received = await faculty.deliver()
    assert len(received) == 12
    assert len({got.key for got in received}) == 12
