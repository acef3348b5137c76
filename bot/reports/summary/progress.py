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
- The figures are `bot.reports.progress`'s, the same as the report page and `placebot report
  progress` show; every status list there is written out, so a status added to the lifecycle
  (an offer held until its poster's team membership is confirmed, say) counts nowhere until
  it is named.
- Offers, students and student-weeks: every offer live or completed that starts in the year;
  student-weeks are capacity x weeks (`bot.kernel.dates.weeks_between`). New this week: such
  offers created in the 7 days up to the slot.
- Block demand: students in the blocks starting in the year, against places offered for them
  (`bot.blocks.demand`), each offer counted once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.demand import block_demands
from bot.kernel.academic_year import AcademicYear
from bot.reports import chart, progress
from storage.tables import PlacementBlock


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
        return progress.goal_of(self.target, self.baseline)

    @property
    def baseline_missing(self) -> bool:
        return progress.lacks_baseline(self.target, self.baseline)

    @property
    def bar(self) -> chart.Bar:
        return chart.Bar(
            self.profession, self.confirmed, self.offered, self.goal, not self.baseline_missing
        )


async def professions(
    session: AsyncSession, year: AcademicYear, week_from: datetime, week_to: datetime
) -> tuple[Progress, ...]:
    """Every profession with a target, an offer or a block in the year, by code: the figures of
    `bot.reports.progress` as the register stood at `week_to`, new since `week_from`."""
    found: dict[str, Progress] = {}
    for line in await progress.lines(session, year, as_of=week_to, new_since=week_from):
        c = line.counts
        if not (line.target is not None or c.placements):
            continue  # last year's alone: the report page's growth shows those
        found[line.profession] = Progress(
            line.profession,
            line.target,
            line.baseline,
            confirmed=c.confirmed,
            offered=c.open_places,
            offers=c.placements,
            students=c.students,
            student_weeks=c.student_weeks,
            new_offers=c.new_placements,
            new_students=c.new_students,
        )
    demand: dict[str, int] = defaultdict(int)
    blocks = await block_demands(
        session, PlacementBlock.start_date >= year.start, PlacementBlock.start_date <= year.end
    )
    for block in blocks.blocks:
        demand[block.profession] += block.students
    for code in {*demand, *blocks.places}:
        shown = found.get(code) or Progress(code)
        found[code] = replace(
            shown, demand=demand.get(code, 0), offered_for_blocks=blocks.places.get(code, 0)
        )
    return tuple(found[code] for code in sorted(found))
