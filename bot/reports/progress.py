"""Placement progress the way AHP faculties report it, per profession and academic year: one
module computes it, in SQL aggregates, for `placebot report progress`, the report page and the
weekly summary with its chart.

- Which year an offer belongs to: the one containing its start date (`bot.kernel.academic_year`).
- Offered: every offer that is or was really offered (`offered`, `requested`, `confirmed`,
  `completed`), as placements (offers) and students (its capacity). Withdrawn, expired,
  declined and held offers count nowhere.
- Confirmed: places confirmed or completed, counted as the students on the offer's confirmed
  HEI requests (its capacity when none is recorded); completed: those of `completed` offers
  (a confirmed offer becomes completed once its end date has passed). Each column includes the
  next: offered >= confirmed >= completed.
- Student-weeks: students x the weeks an offer spans (`bot.kernel.dates.weeks_between`).
- Goal: baseline + extra target for the year (the extra alone while no baseline is set);
  growth: students confirmed this year against last year's.
- Breakdowns, per profession: provider type, setting, supervision model, and first time
  ("previously untapped capacity"): an offer of a team (else, with no team, of a site) that had
  no offer in the previous academic year.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.academic_year import AcademicYear, academic_year
from bot.reports import progress_sql as sql
from bot.reports.progress_sql import Counts
from storage.tables import Target

DIMENSIONS: dict[str, str] = {
    "provider_type": "Provider type",
    "setting": "Setting",
    "supervision": "Supervision model",
    "first_time": "First-time teams and settings",
}


def goal_of(target: int | None, baseline: int | None) -> int | None:
    """Baseline + extra target; the extra alone while no baseline is set; None with no target."""
    if target is None:
        return None
    return (baseline or 0) + target


def lacks_baseline(target: int | None, baseline: int | None) -> bool:
    """A target set with no baseline: its goal is the extra alone, and reports say so."""
    return target is not None and baseline is None


@dataclass(frozen=True)
class Line:
    """One profession's year: its figures, last year's, and its goal."""

    profession: str
    counts: Counts
    last_year: Counts
    target: int | None = None  # extra placements planned; None: no Target row
    baseline: int | None = None  # None: not set

    @property
    def goal(self) -> int | None:
        return goal_of(self.target, self.baseline)

    @property
    def baseline_missing(self) -> bool:
        return lacks_baseline(self.target, self.baseline)

    @property
    def share(self) -> int | None:
        """Students confirmed as a percentage of the goal."""
        return round(100 * self.counts.confirmed / self.goal) if self.goal else None

    @property
    def growth(self) -> int:
        """Students confirmed this year less last year's."""
        return self.counts.confirmed - self.last_year.confirmed


@dataclass(frozen=True)
class Share:
    """One value of a breakdown (e.g. provider type "NHS trust") within one profession."""

    dimension: str
    profession: str
    value: str
    counts: Counts


@dataclass(frozen=True)
class Report:
    year: AcademicYear
    previous: AcademicYear
    professions: tuple[Line, ...]
    breakdowns: tuple[Share, ...]

    @property
    def totals(self) -> Counts:
        return total(line.counts for line in self.professions)

    @property
    def last_year_totals(self) -> Counts:
        return total(line.last_year for line in self.professions)

    def breakdown(self, dimension: str) -> list[tuple[str, Counts]]:
        """Every profession together: each value of the dimension with its figures, biggest
        first (by students offered), then by name."""
        found: dict[str, list[Counts]] = defaultdict(list)
        for share in self.breakdowns:
            if share.dimension == dimension:
                found[share.value].append(share.counts)
        summed = [(value, total(counts)) for value, counts in found.items()]
        return sorted(summed, key=lambda pair: (-pair[1].students, pair[0]))


def total(many: Iterable[Counts]) -> Counts:
    sums = dict.fromkeys((f.name for f in fields(Counts)), 0)
    for counts in many:
        for name in sums:
            sums[name] += getattr(counts, name)
    return Counts(**sums)


def previous_year(year: AcademicYear) -> AcademicYear:
    return academic_year(year.start.replace(year=year.start.year - 1))


async def _goals(session: AsyncSession, year: AcademicYear) -> dict[str, tuple[int, int | None]]:
    rows = await session.execute(
        select(Target.profession, Target.extra_placements, Target.baseline).where(
            Target.academic_year == year.label
        )
    )
    return {code: (extra, baseline) for code, extra, baseline in rows}


def _lines(
    now: dict[sql.Key, Counts],
    before: dict[sql.Key, Counts],
    goals: dict[str, tuple[int, int | None]],
) -> tuple[Line, ...]:
    mine = {code: c for (grouping, code, _), c in now.items() if grouping is None}
    then = {code: c for (grouping, code, _), c in before.items() if grouping is None}
    return tuple(
        Line(
            code, mine.get(code, Counts()), then.get(code, Counts()), *goals.get(code, (None, None))
        )
        for code in sorted({*mine, *then, *goals})
    )


async def lines(
    session: AsyncSession,
    year: AcademicYear,
    as_of: datetime | None = None,
    new_since: datetime | None = None,
) -> tuple[Line, ...]:
    """Every profession with a target or an offer in the year (or last year), by code; as the
    register stood at `as_of` (offers created by then), new ones counted from `new_since`."""
    now = await sql.counts(session, year, (None,), as_of, new_since)
    before = await sql.counts(session, previous_year(year), (None,))
    return _lines(now, before, await _goals(session, year))


async def report(session: AsyncSession, year: AcademicYear) -> Report:
    """The year's progress per profession and its breakdowns, as the register stands now: one
    statement for the year, one for last year's totals."""
    now = await sql.counts(session, year, (None, *DIMENSIONS))
    before = await sql.counts(session, previous_year(year), (None,))
    shares = tuple(
        Share(dimension, code, sql.label(dimension, value), counts)
        for dimension in DIMENSIONS
        for (grouping, code, value), counts in sorted(
            now.items(), key=lambda kv: (kv[0][1], str(kv[0][2]))
        )
        if grouping == dimension
    )
    return Report(
        year, previous_year(year), _lines(now, before, await _goals(session, year)), shares
    )
