"""Each profession's figures for the weekly summary, for the academic year containing its date.

- Which year an offer belongs to: the one containing its start date (`bot.kernel.academic_year`).
- Progress: placements confirmed or completed, counted in places (students), since a target
  of "+39 PT" and its baseline are student placements and a 2:1 offer is two of them. An offer
  is `confirmed` as soon as one HEI request on it is, so its places count as the students on
  its confirmed requests, not its whole capacity; a confirmed or completed offer with no
  confirmed request recorded (set outside the bot's requests) counts its capacity.
- Goal: the year's Target row, baseline + extra placements; with no baseline set, the extra
  placements alone (and the summary says so). A profession with activity but no Target row is
  shown with no goal.
- Offered: places open and not yet confirmed (offers `offered` or `requested`, and the places
  of a `confirmed` offer no HEI has been confirmed for yet): shown beside the progress, never
  counted in it.
- Every status list here is written out, so a status added to the lifecycle (an offer held
  until its poster's team membership is confirmed, say) counts nowhere until it is named.
- Offers, students and student-weeks: every offer live or completed that starts in the year;
  student-weeks are capacity x weeks (`bot.kernel.dates.weeks_between`). New this week: such
  offers created in the 7 days up to the slot.
- Block demand: students in the blocks starting in the year, against places offered for them
  (`bot.blocks.demand`), each offer counted once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.demand import block_demands
from bot.kernel.academic_year import AcademicYear
from bot.kernel.dates import weeks_between
from bot.reports import chart
from storage import lifecycle
from storage.lifecycle import RequestStatus
from storage.tables import PlacementBlock, PlacementOffer, PlacementRequest, Target

PLACED = (lifecycle.CONFIRMED, lifecycle.COMPLETED)
"""Progress against the goal."""
ON_OFFER = (lifecycle.OFFERED, lifecycle.REQUESTED)
"""On offer, not yet confirmed: shown beside the progress."""
ON_RECORD = (lifecycle.OFFERED, lifecycle.REQUESTED, lifecycle.CONFIRMED, lifecycle.COMPLETED)
"""Offers, students and student-weeks of the year."""


@dataclass(frozen=True)
class Progress:
    profession: str
    target: int | None = None  # extra placements planned (None: no Target row)
    baseline: int | None = None  # placements the year would have had anyway (None: not set)
    confirmed: int = 0  # places confirmed or completed: the progress
    offered: int = 0  # places on offer, not yet confirmed: beside the progress, not in it
    offers: int = 0
    students: int = 0
    student_weeks: int = 0
    new_offers: int = 0
    new_students: int = 0
    demand: int = 0  # students in the year's blocks
    offered_for_blocks: int = 0  # places on or matching those blocks, each offer once

    @property
    def goal(self) -> int | None:
        """Baseline + extra; the extra alone while no baseline is set; None with no target."""
        if self.target is None:
            return None
        return (self.baseline or 0) + self.target

    @property
    def baseline_missing(self) -> bool:
        return self.target is not None and self.baseline is None

    @property
    def bar(self) -> chart.Bar:
        return chart.Bar(
            self.profession, self.confirmed, self.offered, self.goal, not self.baseline_missing
        )


async def _placements(
    session: AsyncSession, year: AcademicYear, week_to: datetime
) -> dict[str, tuple[int, int]]:
    """Per profession: (places confirmed or completed, places on offer not yet confirmed)."""
    confirmed_for = (
        select(PlacementRequest.offer_id, func.sum(PlacementRequest.students).label("students"))
        .where(PlacementRequest.status == RequestStatus.CONFIRMED)
        .group_by(PlacementRequest.offer_id)
        .subquery()
    )
    status, capacity = PlacementOffer.status, PlacementOffer.capacity
    placed = case(
        (status.in_(PLACED), func.coalesce(confirmed_for.c.students, capacity)),
        (status.in_(ON_OFFER), func.coalesce(confirmed_for.c.students, 0)),
        else_=0,
    )
    still_open = case(
        (status.in_(ON_OFFER), capacity - func.coalesce(confirmed_for.c.students, 0)),
        (
            status == lifecycle.CONFIRMED,
            capacity - func.coalesce(confirmed_for.c.students, capacity),
        ),
        else_=0,
    )
    rows = await session.execute(
        select(PlacementOffer.profession, func.sum(placed), func.sum(still_open))
        .outerjoin(confirmed_for, confirmed_for.c.offer_id == PlacementOffer.id)
        .where(
            status.in_((*ON_OFFER, *PLACED)),
            PlacementOffer.start_date >= year.start,
            PlacementOffer.start_date <= year.end,
            PlacementOffer.created_at <= week_to,
        )
        .group_by(PlacementOffer.profession)
    )
    return {code: (int(done or 0), int(left or 0)) for code, done, left in rows}


async def _offers(
    session: AsyncSession, year: AcademicYear, week_from: datetime, week_to: datetime
) -> dict[str, dict[str, int]]:
    figures: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    new = PlacementOffer.created_at > week_from
    rows = await session.execute(
        select(
            PlacementOffer.profession,
            PlacementOffer.start_date,
            PlacementOffer.end_date,
            func.count(PlacementOffer.id),
            func.sum(PlacementOffer.capacity),
            func.sum(case((new, 1), else_=0)),
            func.sum(case((new, PlacementOffer.capacity), else_=0)),
        )
        .where(
            PlacementOffer.status.in_(ON_RECORD),
            PlacementOffer.start_date >= year.start,
            PlacementOffer.start_date <= year.end,
            PlacementOffer.created_at <= week_to,
        )
        .group_by(PlacementOffer.profession, PlacementOffer.start_date, PlacementOffer.end_date)
    )
    for code, start, end, offers, students, new, new_students in rows:
        found = figures[code]
        found["offers"] += offers
        found["students"] += int(students)
        found["student_weeks"] += int(students) * weeks_between(start, end)
        found["new_offers"] += int(new)
        found["new_students"] += int(new_students)
    return figures


async def professions(
    session: AsyncSession, year: AcademicYear, week_from: datetime, week_to: datetime
) -> tuple[Progress, ...]:
    """Every profession with a target, an offer or a block in the year, by code."""
    figures = await _offers(session, year, week_from, week_to)
    for code, (confirmed, offered) in (await _placements(session, year, week_to)).items():
        figures[code]["confirmed"] = confirmed
        figures[code]["offered"] = offered
    goals: dict[str, tuple[int, int | None]] = {
        code: (extra, baseline)
        for code, extra, baseline in await session.execute(
            select(Target.profession, Target.extra_placements, Target.baseline).where(
                Target.academic_year == year.label
            )
        )
    }
    for code in goals:  # a target alone is enough to be shown
        figures.setdefault(code, defaultdict(int))
    demand = await block_demands(
        session, PlacementBlock.start_date >= year.start, PlacementBlock.start_date <= year.end
    )
    for block in demand.blocks:
        figures[block.profession]["demand"] += block.students
    for code, places in demand.places.items():
        figures[code]["offered_for_blocks"] = places
    # The figures' keys are Progress's field names.
    return tuple(
        Progress(code, *goals.get(code, (None, None)), **values)
        for code, values in sorted(figures.items())
    )
