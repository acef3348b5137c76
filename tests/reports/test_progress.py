"""Placement progress the way faculties report it, against a hand-counted register: per
profession, placements and students offered, confirmed and completed, student-weeks, the goal,
last year and growth; by provider type, setting, supervision model and first-time teams; and
`placebot report progress` printing the same, as a table and as CSV."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date

import pytest
from sqlalchemy import update

from adapters import cli
from bot.kernel.academic_year import academic_year
from bot.reports import progress
from bot.reports.progress_sql import Counts
from storage.engine import make_engine, make_sessionmaker
from storage.tables import PlacementOffer
from tests.support.builder import Builder

YEAR = academic_year(date(2026, 11, 27))  # 2026/27
FEB, MAR = date(2027, 2, 1), date(2027, 3, 12)  # 6 weeks


async def hand_counted(build: Builder) -> None:
    """Two professions' year; every figure the tests expect is worked out beside its rows."""
    uni = await build.hei("University A", ("PT", "OT"))
    trust = await build.provider("City Hospitals Trust", kind="nhs_trust")
    council = await build.provider("City Council", kind="local_authority")
    charity = await build.provider("Hospice Charity", kind="voluntary")
    stroke = await build.team(trust, "Stroke", ("PT",), site="City Hospital")
    ortho = await build.team(trust, "Ortho", ("PT",), site="General Hospital")
    reablement = await build.team(council, "Reablement", ("OT",))
    hospice = await build.team(charity, "Hospice", ("OT",))

    async def offer(*args: object, setting: str | None = None, model: str | None = None,
                    **kwargs: object) -> PlacementOffer:  # fmt: skip
        made = await build.offer(*args, **kwargs)  # type: ignore[arg-type]
        async with build.sessions.begin() as session:
            await session.execute(
                update(PlacementOffer)
                .where(PlacementOffer.id == made.id)
                .values(setting=setting, supervision_model=model, version=PlacementOffer.version)
            )
        return made

    # Last year, 2025/26: Stroke and Reablement offered (PT 2, OT 1 completed); Hospice's
    # withdrawn offer does not make it a returning team.
    await offer("PT", date(2026, 2, 2), date(2026, 3, 13), 2, "completed", team=stroke)
    await offer("OT", date(2026, 3, 2), date(2026, 3, 27), 1, "completed", team=reablement)
    await offer("OT", date(2026, 3, 2), date(2026, 3, 27), 4, "withdrawn", team=hospice)
    # This year, PT: 3 offers, 6 students, 2*3 + 3*6 + 1*4 = 28 student-weeks; confirmed:
    # 2 offers, 2 + 2 students, 2*3 + 2*6 = 18 student-weeks; completed: 1 offer, 2 students.
    await offer("PT", date(2026, 9, 7), date(2026, 9, 25), 2, "completed", team=stroke,
                setting="acute", model="2:1")  # fmt: skip
    two_of_three = await offer("PT", FEB, MAR, 3, "confirmed", team=stroke, setting="acute",
                               model="1:1")  # fmt: skip
    await build.request(two_of_three, uni, 2, "confirmed")
    await offer("PT", date(2027, 1, 4), date(2027, 1, 29), 1, team=ortho, setting="acute",
                model="peer")  # fmt: skip
    # OT: 3 offers, 4 students, 24 student-weeks; confirmed 1 offer, 2 students, 12.
    await offer("OT", FEB, MAR, 2, "confirmed", team=reablement, setting="social_care",
                model="long-arm")  # fmt: skip
    await offer("OT", FEB, MAR, 1, "requested", team=hospice, setting="independent_voluntary",
                model="virtual")  # fmt: skip
    await offer("OT", FEB, MAR, 1, place="Somewhere typed")  # no team, site or provider
    # Counted nowhere: withdrawn, expired, held, and next year's.
    await offer("PT", FEB, MAR, 5, "withdrawn", team=stroke, setting="acute")
    await offer("OT", FEB, MAR, 5, "expired", team=hospice)
    await offer("PT", FEB, MAR, 5, "awaiting", team=ortho)
    await offer("PT", date(2027, 9, 6), date(2027, 9, 24), 9, "confirmed", team=ortho)
    await build.target("PT", "2026/27", 10, baseline=20)
    await build.target("OT", "2026/27", 5)


@pytest.fixture
async def register(build: Builder) -> Builder:
    await hand_counted(build)
    return build


async def test_each_profession_counts_offered_confirmed_and_completed_against_its_goal(
    register: Builder,
) -> None:
    async with register.sessions() as session:
        report = await progress.report(session, YEAR)

    assert [line.profession for line in report.professions] == ["OT", "PT"]
    by_code = {line.profession: line for line in report.professions}
    pt, ot = by_code["PT"], by_code["OT"]
    assert pt.counts == Counts(3, 6, 28, 2, 4, 18, 1, 2, open_places=2)
    assert (pt.goal, pt.share, pt.last_year.confirmed, pt.growth) == (30, 13, 2, 2)
    assert ot.counts == Counts(3, 4, 24, 1, 2, 12, 0, 0, open_places=2)
    assert (ot.goal, ot.baseline_missing, ot.share, ot.growth) == (5, True, 40, 1)
    assert report.totals.confirmed == 6 and report.last_year_totals.confirmed == 3


async def test_the_breakdowns_split_the_same_offers(register: Builder) -> None:
    async with register.sessions() as session:
        report = await progress.report(session, YEAR)

    def shown(dimension: str) -> list[tuple[str, int, int, int]]:
        return [(v, c.placements, c.students, c.confirmed) for v, c in report.breakdown(dimension)]

    assert shown("provider_type") == [
        ("NHS trust", 3, 6, 4),
        ("Local authority", 1, 2, 2),
        ("Not recorded", 1, 1, 0),
        ("Voluntary", 1, 1, 0),
    ]
    assert shown("setting") == [
        ("Acute", 3, 6, 4),
        ("Social care", 1, 2, 2),
        ("Independent or voluntary", 1, 1, 0),
        ("Not recorded", 1, 1, 0),
    ]
    assert [v for v, *_ in shown("supervision")][:3] == [
        "1:1 (one educator, one student)",
        "2:1 (two students, one educator)",
        "Long-arm",
    ]
    assert shown("first_time") == [
        ("Offered last year too", 3, 7, 6),
        ("First time (no offer last year)", 2, 2, 0),
        ("Place not matched to a team or site", 1, 1, 0),
    ]
    for dimension in progress.DIMENSIONS:  # every breakdown adds up to the whole
        assert progress.total(c for _, c in report.breakdown(dimension)) == report.totals


def test_placebot_report_progress_prints_the_table_and_the_csv(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def fill() -> None:
        engine = make_engine(database_url)
        try:
            await hand_counted(Builder(make_sessionmaker(engine)))
        finally:
            await engine.dispose()

    asyncio.run(fill())
    monkeypatch.setenv("DATABASE_URL", database_url)

    assert cli.main(["report", "progress", "--year", "2026/27"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Placement progress, 2026/27")
    pt_row = next(line for line in printed.splitlines() if line.startswith("PT "))
    assert pt_row.split() == [
        "PT", "3", "6", "2", "4", "1", "2", "28", "18", "30", "(20", "+", "10)", "13%", "2", "+2",
    ]  # fmt: skip
    assert "By provider type:" in printed and "Local authority" in printed

    assert cli.main(["report", "progress", "--year", "2026-27", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    ot = next(r for r in rows if r["profession"] == "OT" and r["breakdown"] == "all")
    assert (ot["students_offered"], ot["students_confirmed"], ot["goal"], ot["growth"]) == (
        "4",
        "2",
        "5",
        "1",
    )
    council = [r for r in rows if r["value"] == "Local authority"]
    assert [(r["profession"], r["students_confirmed"]) for r in council] == [("OT", "2")]

    assert cli.main(["report", "progress", "--year", "2026/28"]) == 1
    assert "is not an academic year; write it as 2026/27" in capsys.readouterr().err
