"""A held offer stops nobody's nudges: the team it names is still asked about the block until
the offer is released (the register's rules count only offers HEIs can see)."""

from __future__ import annotations

from datetime import time

from tests.support.faculty import Faculty

AFTERNOONS = {"work_starts": time(13, 0), "work_ends": time(17, 0)}


async def test_a_held_offer_on_a_block_still_leaves_the_team_asked(faculty: Faculty) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",), **AFTERNOONS)
    await faculty.person("stranger", organisation=None)
    ref = await faculty.block("PT", closes_in=10)
    await faculty.offer("stranger", status="awaiting", team="stroke", block=ref)
    await faculty.scan()
    assert {n.subject for n in await faculty.nudges("physio")} == {ref}


async def test_the_same_offer_once_released_answers_the_block_for_the_team(
    faculty: Faculty,
) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",), **AFTERNOONS)
    await faculty.person("stranger", organisation=None)
    ref = await faculty.block("PT", closes_in=10)
    await faculty.offer("stranger", status="offered", team="stroke", block=ref)
    await faculty.scan()
    assert await faculty.nudges("physio") == []
