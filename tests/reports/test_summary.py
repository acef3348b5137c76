"""The faculty's weekly summary: figures against hand-counted values, its chart, its year."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.kernel.academic_year import AcademicYear, academic_year
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Reply
from bot.reports import chart
from bot.reports.chart import Bar, progress_chart
from bot.reports.summary import message as summary_message
from bot.reports.summary import queries as summary_queries
from storage.engine import make_sessionmaker
from tests.support.builder import Builder
from tests.support.inbox import Inbox

# Friday 27 November 2026, 16:00 in London (GMT): the summary's slot.
SLOT = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class World:
    leads: tuple[int, int]
    silent: str


def ago(days: float) -> datetime:
    return SLOT - timedelta(days=days)


@pytest.fixture
async def world(build: Builder) -> World:
    uni = await build.hei("University A", ("PT", "OT"))
    trust = await build.provider("City Hospitals Trust")
    quiet, answered, posted, trained, last_term = [
        await build.team(trust, name, site=f"{name} site")
        for name in ("Quiet Ward", "Answered Ward", "Posting Ward", "Training Ward", "Old Ward")
    ]
    lead_1 = await build.person("Faculty lead one", "faculty_lead")
    lead_2 = await build.person("Faculty lead two", "faculty_lead")
    await build.person("Unreachable lead", "faculty_lead", reachable=False)
    # Offers of the academic year 2026/27 (1 Sep 2026 to 31 Aug 2027), counted:
    offer = build.offer
    await offer("PT", date(2027, 2, 1), date(2027, 3, 12), 2, created=ago(30))  # 6 weeks
    await offer("PT", date(2026, 10, 5), date(2026, 10, 30), 1, "confirmed")  # 4 weeks
    await offer("PT", date(2026, 9, 7), date(2026, 9, 25), 3, "completed")  # 3 weeks
    await offer("PT", date(2027, 8, 31), date(2027, 9, 10), 1, "requested")  # 2 weeks
    await offer("OT", date(2027, 1, 4), date(2027, 1, 29), 2, created=ago(2))  # 4 weeks, new
    await offer("OT", date(2026, 9, 1), date(2026, 9, 14), 1, "requested", ago(40), team=posted)
    # ... and not counted: withdrawn, expired, declined, or starting in another year.
    await offer("PT", date(2027, 2, 1), date(2027, 3, 12), 5, "withdrawn", created=ago(1))
    await offer("OT", date(2027, 2, 1), date(2027, 3, 12), 5, "expired")
    await offer("OT", date(2027, 2, 1), date(2027, 3, 12), 5, "declined")
    await offer("PT", date(2026, 8, 24), date(2026, 9, 11), 4)
    await offer("PT", date(2027, 9, 1), date(2027, 9, 30), 4)
    await build.target("PT", "2026/27", 39, baseline=120)
    for code, extra in (("OT", 23), ("SLT", 5)):
        await build.target(code, "2026/27", extra)
    await build.target("PT", "2025/26", 99)
    # Blocks of the year: PT needs 5 and the February PT offer (2) matches it, and a second
    # PT block over the same weeks, counted once; OT needs 1 and the January OT offer (2)
    # matches it.
    pt_block = await build.block(uni, "PT", date(2027, 2, 1), 5, date(2027, 1, 11))
    await build.block(uni, "PT", date(2027, 2, 8), 3, date(2027, 1, 11), weeks=2)
    await build.block(uni, "OT", date(2027, 1, 4), 1, date(2026, 12, 14), weeks=5)
    await build.block(uni, "PT", date(2026, 6, 1), 7, date(2026, 5, 1))  # last year
    # Nudges: sent this week 3 (open, acted, info); acted this week 1; ignored this week 1
    # (sent last week); one ignored two weeks ago counts for nothing.
    people = [
        await build.person(f"Clinician {n}", "clinician", team=team)
        for n, team in enumerate((quiet, answered, posted, trained, last_term, quiet))
    ]
    subject = "BL-2027-0001"
    await build.nudge(people[0], "block", subject, ago(1), "open")
    await build.nudge(people[1], "block", subject, ago(2), "acted", ago(1))
    await build.nudge(people[3], "training", subject, ago(3), "info")
    await build.nudge(people[5], "block", subject, ago(10), "ignored", ago(5))
    await build.nudge(people[2], "offer_start", subject, ago(20), "ignored", ago(15))
    august = datetime(2026, 8, 20, 9, 30, tzinfo=UTC)
    await build.nudge(people[4], "block", subject, august, "ignored", ago(90))
    await build.answer(pt_block, "no_capacity", people[1], team=answered, answered_at=ago(1))
    await build.person("Paused Person B", "clinician", paused=True)
    await build.person("Paused Person A", "clinician", paused=True)
    for created, status, error in (
        (ago(1), "failed", "Slack said channel_not_found"),
        (ago(3), "failed", "no email channel is configured"),
        (ago(10), "failed", "old failure"),
        (ago(1), "sent", None),
    ):
        await build.delivery(
            people[0],
            "hello",
            f"test:{created.isoformat()}:{status}",
            status,
            created,
            channel="slack",
            attempts=5,
            error=error,
        )
    return World((lead_1.id, lead_2.id), "Quiet Ward, City Hospitals Trust")


def facts(reply: Reply) -> dict[str, str]:
    return {fact.label: fact.value for fact in reply.facts}


async def compose(
    engine: AsyncEngine, slot: datetime, clock: FixedClock
) -> summary_queries.Summary:
    async with make_sessionmaker(engine)() as session:
        return await summary_queries.compose(session, slot, clock.zone)


async def test_the_figures_match_the_hand_counted_register(
    engine: AsyncEngine, clock: FixedClock, world: World
) -> None:
    found = await compose(engine, SLOT, clock)

    assert found.year == AcademicYear("2026/27", date(2026, 9, 1), date(2027, 8, 31))
    by_code = {p.profession: p for p in found.professions}
    assert set(by_code) == {"PT", "OT", "SLT"}
    pt, ot, slt = by_code["PT"], by_code["OT"], by_code["SLT"]
    assert (pt.offers, pt.students, pt.student_weeks, pt.target) == (
        4,
        7,
        2 * 6 + 4 + 3 * 3 + 2,
        39,
    )
    assert (ot.offers, ot.students, ot.student_weeks, ot.target) == (2, 3, 2 * 4 + 2, 23)
    assert (slt.offers, slt.students, slt.target) == (0, 0, 5)
    # Progress: confirmed (1) and completed (3) places; offered (2) and requested (1) beside it.
    assert (pt.confirmed, pt.offered, pt.baseline, pt.goal) == (4, 3, 120, 159)
    assert (ot.confirmed, ot.offered, ot.baseline, ot.goal) == (0, 3, None, 23)
    assert (slt.confirmed, slt.offered, slt.goal) == (0, 0, 5)
    assert (pt.new_offers, ot.new_offers) == (0, 1)
    assert (found.new_offers, found.new_students) == (1, 2)
    assert (pt.demand, pt.offered_for_blocks) == (8, 2)
    assert (ot.demand, ot.offered_for_blocks) == (1, 2)
    assert (found.nudges_sent, found.nudges_acted, found.nudges_ignored) == (3, 1, 1)
    assert found.paused == ("Paused Person A", "Paused Person B")
    assert found.silent_teams == (world.silent,)
    assert found.failed == 2
    assert [f.error for f in found.failed_latest] == [
        "Slack said channel_not_found",
        "no email channel is configured",
    ]


async def test_the_reply_shows_progress_against_goal_and_a_chart_with_its_numbers(
    engine: AsyncEngine, clock: FixedClock, world: World
) -> None:
    reply = summary_message.summary_reply(await compose(engine, SLOT, clock), date(2026, 11, 27))

    assert reply.text == "Weekly placement summary for 2026/27, week to Fri 27 Nov 2026."
    assert facts(reply) == {
        "Placements this year": "4 confirmed or completed, 6 more offered",
        "Baseline not set": (
            "OT, SLT: progress is measured against the extra placements only. Set a baseline "
            "with `admin target set OT 2026/27 23 baseline N` or "
            "`placebot target set OT 2026/27 23 --baseline N`."
        ),
        "New this week": "1 offer, 2 students",
        "Nudges this week": "3 sent, 1 acted on, 1 ignored",
        "Paused people": "2: Paused Person A, Paused Person B",
        "Silent teams": f"1: {world.silent}",
        "Undelivered this week": "2",
    }
    pt = next(item for item in reply.items if item.title == "PT")
    assert {f.label: f.value for f in pt.facts} == {
        "Confirmed or completed": "4 of goal 159 (3%): baseline 120 + 39 extra",
        "Offered, not yet confirmed": "3 places, not counted above",
        "All offers": "4 offers, 7 students, 27 student-weeks",
        "New this week": "0",
        "Block demand": "8 students, 2 places offered",
    }
    assert reply.image is not None
    png = base64.b64decode(reply.image.png_base64)
    assert png.startswith(PNG_SIGNATURE)
    assert "PT 4 confirmed of goal 159 (3%), 3 more offered" in reply.image.alt
    assert "OT 0 confirmed of target 23 (0%, baseline not set), 3 more offered" in reply.image.alt
    assert "SLT 0 confirmed of target 5 (0%, baseline not set), 0 more offered" in reply.image.alt


def test_the_chart_is_a_png_of_about_800_by_400_that_matplotlib_reads() -> None:
    from matplotlib.image import imread

    bars = [Bar("PT", 4, 7, 159), Bar("OT", 2, 3, 23, baseline_set=False), Bar("SLT", 1, 0, None)]
    image = progress_chart("Placements against goal", bars)

    png = base64.b64decode(image.png_base64)
    assert png.startswith(PNG_SIGNATURE)
    height, width, _channels = imread(io.BytesIO(png), format="png").shape
    assert (width, height) == (800, 400)
    assert image.alt == (
        "Placements against goal: PT 4 confirmed of goal 159 (3%), 7 more offered; "
        "OT 2 confirmed of target 23 (9%, baseline not set), 3 more offered; "
        "SLT 1 confirmed (no target), 0 more offered."
    )
    empty = progress_chart("Nothing yet", [])
    assert base64.b64decode(empty.png_base64).startswith(PNG_SIGNATURE)
    assert empty.alt == "Nothing yet: no placements and no targets yet."


def test_the_chart_bars_confirmed_against_goal_with_offered_beside_it() -> None:
    bars = [Bar("PT", 4, 7, 159), Bar("OT", 30, 3, 23, baseline_set=False), Bar("SLT", 1, 0, None)]

    figure = chart.draw("Placements against goal", bars)
    axes = figure.axes[0]

    series = {c.get_label(): c for c in axes.containers}
    heights = {label: [round(r.get_height()) for r in c] for label, c in series.items()}
    assert heights == {
        "Goal (baseline + target)": [159, 23, 0],
        "Confirmed or completed": [4, 30, 1],
        "Offered, not yet confirmed": [7, 3, 0],
    }
    goal, confirmed, offered = (series[label].patches for label in heights)
    for behind, front, beside in zip(goal, confirmed, offered, strict=True):
        # The confirmed bar stands inside its goal; the offered bar beside both, not on them.
        assert (
            behind.get_x()
            < front.get_x()
            < front.get_x() + front.get_width()
            < (behind.get_x() + behind.get_width())
            <= beside.get_x()
        )
    assert offered[0].get_hatch() and not confirmed[0].get_hatch()
    assert offered[0].get_facecolor() != confirmed[0].get_facecolor()
    assert [t.get_text() for t in axes.get_xticklabels()] == [
        "PT\ngoal 159",
        "OT\ntarget 23",
        "SLT\nno target",
    ]
    assert [t.get_text() for t in figure.legends[0].get_texts()] == list(heights)
    many = [Bar(code, 1, 1, 10 * n or None) for n, code in enumerate("ABCDEFGHI")]
    ticks = chart.draw("Many", many).axes[0].get_xticklabels()
    assert [t.get_text() for t in ticks][:3] == ["A\nnone", "B\n10", "C\n20"]


async def test_academic_years_turn_on_the_first_of_september(
    engine: AsyncEngine, clock: FixedClock, world: World
) -> None:
    assert academic_year(date(2027, 8, 31)).label == "2026/27"
    assert academic_year(date(2027, 9, 1)).label == "2027/28"
    assert academic_year(date(2027, 1, 1)).label == "2026/27"

    # London is an hour ahead in summer: 23:30 UTC on 31 August is already 1 September there.
    last_day = await compose(engine, datetime(2027, 8, 31, 22, 30, tzinfo=UTC), clock)
    first_day = await compose(engine, datetime(2027, 8, 31, 23, 30, tzinfo=UTC), clock)

    assert last_day.year.label == "2026/27"
    assert {p.profession: p.offers for p in last_day.professions}["PT"] == 4
    assert first_day.year.label == "2027/28"
    pt_next = {p.profession: p for p in first_day.professions}["PT"]
    assert (pt_next.offers, pt_next.students, pt_next.target) == (1, 4, None)


def test_terms_start_in_september_january_and_april() -> None:
    assert summary_queries.term_start(date(2026, 11, 27)) == date(2026, 9, 1)
    assert summary_queries.term_start(date(2027, 3, 31)) == date(2027, 1, 1)
    assert summary_queries.term_start(date(2027, 4, 1)) == date(2027, 4, 1)
    assert summary_queries.term_start(date(2027, 8, 31)) == date(2027, 4, 1)


async def test_every_reachable_faculty_lead_gets_it_once_a_week(
    clock: FixedClock, world: World, inbox: Inbox
) -> None:
    clock.at = SLOT

    result = await inbox.run("summary", at=SLOT)
    again = await inbox.run("summary", at=SLOT)

    assert result == "2 summaries queued, 1 unreachable"
    assert again == "0 summaries queued, 1 unreachable"
    received = [got for got in inbox.received if got.key and got.key.startswith("summary:")]
    assert [(got.person_id, got.key) for got in received] == [
        (lead, f"summary:{lead}:2026-W48") for lead in world.leads
    ]
    sent = received[0].reply
    assert sent.image is not None and sent.image.alt.startswith(
        "Placements confirmed against goal, 2026/27"
    )


def test_the_worker_starts_without_loading_matplotlib() -> None:
    import subprocess
    import sys

    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, bot.jobs; print('matplotlib' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "False"
