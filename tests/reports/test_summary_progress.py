"""The weekly summary's progress: placements confirmed or completed against baseline + target,
with what is on offer shown beside them and never counted, against a hand-counted register."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.kernel.clock import FixedClock
from bot.reports.chart import Bar
from bot.reports.summary import message as summary_message
from bot.reports.summary import queries as summary_queries
from bot.reports.summary.progress import Progress
from storage.engine import make_sessionmaker
from tests.support.builder import Builder

# Friday 27 November 2026, 16:00 in London: academic year 2026/27.
SLOT = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
FEB, MAR = date(2027, 2, 1), date(2027, 3, 12)


@pytest.fixture
async def register(build: Builder) -> None:
    uni = await build.hei("University A", ("PT", "OT", "SLT"))
    offer = build.offer
    # PT: goal 120 + 39. Confirmed or completed, in places: 2 + 3 + 1 + 1 = 7.
    await offer("PT", FEB, MAR, 2, "confirmed")  # confirmed with no request recorded: all 2
    await offer("PT", date(2026, 9, 7), date(2026, 9, 25), 3, "completed")
    one_of_three = await offer("PT", FEB, MAR, 3, "confirmed")
    await build.request(one_of_three, uni, 1, "confirmed")  # 1 confirmed, 2 still offered
    mixed = await offer("PT", FEB, MAR, 3, "requested")
    await build.request(mixed, uni, 1, "confirmed")  # 1 confirmed,
    await build.request(mixed, uni, 1, "pending")  # and 2 on offer, one of them asked for
    # ... offered beside it, not counted: 4 + 1 + 2 (above) + 2 (above) + 2 = 11.
    await offer("PT", date(2027, 1, 4), date(2027, 1, 29), 4)
    asked = await offer("PT", FEB, MAR, 1, "requested")
    await build.request(asked, uni, 1, "pending")
    turned_down = await offer("PT", FEB, MAR, 2)
    await build.request(turned_down, uni, 2, "declined")
    # ... and counted nowhere: withdrawn (even with a confirmed request), expired, declined.
    gone = await offer("PT", FEB, MAR, 5, "withdrawn")
    await build.request(gone, uni, 5, "confirmed")
    await offer("PT", FEB, MAR, 5, "expired")
    await offer("PT", FEB, MAR, 5, "declined")
    # Starting in other academic years: 2025/26 (ending in this one) and 2027/28.
    await offer("PT", date(2026, 8, 31), date(2026, 9, 25), 6, "completed")
    await offer("PT", date(2027, 9, 1), date(2027, 9, 30), 8, "confirmed")
    await build.target("PT", "2026/27", 39, baseline=120)
    await build.target("PT", "2025/26", 99, baseline=50)
    # OT: a target with no baseline.
    await offer("OT", FEB, MAR, 2, "confirmed")
    await offer("OT", FEB, MAR, 1, "requested")
    await build.target("OT", "2026/27", 23)
    # SLT: activity but no target. DIET: nothing that counts, so not shown.
    await offer("SLT", FEB, MAR, 1, "completed")
    await offer("DIET", FEB, MAR, 2, "withdrawn")
    await offer("DIET", FEB, MAR, 2, "expired")


async def compose(
    engine: AsyncEngine, slot: datetime, clock: FixedClock
) -> summary_queries.Summary:
    async with make_sessionmaker(engine)() as session:
        return await summary_queries.compose(session, slot, clock.zone)


def by_code(summary: summary_queries.Summary) -> dict[str, Progress]:
    return {p.profession: p for p in summary.professions}


async def test_confirmed_and_completed_places_count_against_baseline_plus_target(
    engine: AsyncEngine, clock: FixedClock, register: None
) -> None:
    found = by_code(await compose(engine, SLOT, clock))

    assert set(found) == {"PT", "OT", "SLT"}
    pt, ot, slt = found["PT"], found["OT"], found["SLT"]
    assert (pt.confirmed, pt.offered, pt.target, pt.baseline, pt.goal) == (7, 11, 39, 120, 159)
    assert (ot.confirmed, ot.offered, ot.target, ot.baseline, ot.goal) == (2, 1, 23, None, 23)
    assert ot.baseline_missing and not pt.baseline_missing
    assert (slt.confirmed, slt.offered, slt.target, slt.goal) == (1, 0, None, None)
    assert not slt.baseline_missing
    assert [p.bar for p in found.values()] == [
        Bar("OT", 2, 1, 23, baseline_set=False),
        Bar("PT", 7, 11, 159),
        Bar("SLT", 1, 0, None),
    ]


async def test_an_offer_belongs_to_the_year_it_starts_in(
    engine: AsyncEngine, clock: FixedClock, register: None
) -> None:
    last_year = by_code(await compose(engine, datetime(2026, 8, 28, 15, tzinfo=UTC), clock))
    next_year = by_code(await compose(engine, datetime(2027, 9, 10, 15, tzinfo=UTC), clock))

    assert set(last_year) == {"PT"}
    assert (last_year["PT"].confirmed, last_year["PT"].goal) == (6, 50 + 99)
    assert set(next_year) == {"PT"}
    assert (next_year["PT"].confirmed, next_year["PT"].offered, next_year["PT"].goal) == (
        8,
        0,
        None,
    )


async def test_the_reply_shows_the_goal_what_is_offered_beside_it_and_how_to_set_a_baseline(
    engine: AsyncEngine, clock: FixedClock, register: None
) -> None:
    reply = summary_message.summary_reply(await compose(engine, SLOT, clock), date(2026, 11, 27))

    top = {fact.label: fact.value for fact in reply.facts}
    assert top["Placements this year"] == "10 confirmed or completed, 12 more offered"
    assert top["Baseline not set"] == (
        "OT: progress is measured against the extra placements only. Set a baseline with "
        "`admin target set OT 2026/27 23 baseline N` or "
        "`placebot target set OT 2026/27 23 --baseline N`."
    )
    items = {item.title: {f.label: f.value for f in item.facts} for item in reply.items}
    assert items["PT"]["Confirmed or completed"] == "7 of goal 159 (4%): baseline 120 + 39 extra"
    assert items["PT"]["Offered, not yet confirmed"] == "11 places, not counted above"
    assert items["OT"]["Confirmed or completed"] == "2 of 23 extra (9%): baseline not set"
    assert items["OT"]["Offered, not yet confirmed"] == "1 place, not counted above"
    assert items["SLT"]["Confirmed or completed"] == "1 (no target)"
    assert "DIET" not in items
    assert reply.image is not None
    assert reply.image.alt == (
        "Placements confirmed against goal, 2026/27: "
        "OT 2 confirmed of target 23 (9%, baseline not set), 1 more offered; "
        "PT 7 confirmed of goal 159 (4%), 11 more offered; "
        "SLT 1 confirmed (no target), 0 more offered."
    )


async def test_with_every_baseline_set_there_is_no_hint(
    engine: AsyncEngine, clock: FixedClock, build: Builder
) -> None:
    await build.target("PT", "2026/27", 39, baseline=120)
    await build.target("OT", "2026/27", 0, baseline=0)

    summary = await compose(engine, SLOT, clock)
    reply = summary_message.summary_reply(summary, date(2026, 11, 27))

    assert "Baseline not set" not in {fact.label for fact in reply.facts}
    items = {item.title: {f.label: f.value for f in item.facts} for item in reply.items}
    assert items["PT"]["Confirmed or completed"] == "0 of goal 159 (0%): baseline 120 + 39 extra"
    assert items["OT"]["Confirmed or completed"] == "0 of goal 0: baseline 0 + 0 extra"
