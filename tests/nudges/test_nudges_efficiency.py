"""The nudge plan takes the same few queries however many people it plans for."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.nudges import plan as nudge_plan
from tests.support.faculty import Faculty


async def test_the_plan_takes_the_same_queries_for_five_people_or_fifty(
    faculty: Faculty, engine: AsyncEngine
) -> None:
    await faculty.block("PT", closes_in=5)
    await faculty.block("OT", closes_in=8)
    await faculty.training("Educator update", in_days=3, professions=())
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    async def plan() -> tuple[int, int]:
        statements.clear()
        async with faculty.sessions.begin() as session:
            planned = await nudge_plan.plan(session, faculty.clock, faculty.settings)
        return len(planned), sum(s.lstrip().upper().startswith("SELECT") for s in statements)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        for n in range(5):
            await faculty.person(f"pt-{n}", team="stroke", professions=("PT",))
            await faculty.offer(f"pt-{n}", starts_in=6)
        few = await plan()
        for n in range(45):
            team = "stroke" if n % 2 else "community"
            await faculty.person(f"more-{n}", team=team)
            await faculty.offer(f"more-{n}", starts_in=9, team=team)
        many = await plan()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert (few[0], many[0]) == (5, 50)
    assert few[1] == many[1] < 15
