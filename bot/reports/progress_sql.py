"""The one aggregate query behind placement progress (`bot.reports.progress`): offers of an
academic year grouped by profession and, optionally, one breakdown, every figure summed by the
database, so 100,000 offers come back as a few dozen rows.

Every status list is written out, so a status added to the lifecycle counts nowhere until it is
named here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, case, cast, func, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.kernel.academic_year import AcademicYear, academic_year
from bot.kernel.vocabulary import SETTINGS, SUPERVISION_MODELS
from storage import lifecycle
from storage.lifecycle import RequestStatus
from storage.tables import Organisation, PlacementOffer, PlacementRequest

PLACED = (lifecycle.CONFIRMED, lifecycle.COMPLETED)
"""Progress against the goal."""
ON_OFFER = (lifecycle.OFFERED, lifecycle.REQUESTED)
"""On offer, not yet confirmed."""
OFFERED = (lifecycle.OFFERED, lifecycle.REQUESTED, lifecycle.CONFIRMED, lifecycle.COMPLETED)
"""Really offered: the year's placements, students and student-weeks."""

PROVIDER_TYPES = {
    "nhs_trust": "NHS trust",
    "local_authority": "Local authority",
    "independent": "Independent",
    "voluntary": "Voluntary",
}
FIRST_TIME = {
    "first": "First time (no offer last year)",
    "returning": "Offered last year too",
    "unmatched": "Place not matched to a team or site",
}
NOT_RECORDED = "Not recorded"


@dataclass(frozen=True)
class Counts:
    """Placements (offers) and students (places) at each stage; each includes the next."""

    placements: int = 0  # offered
    students: int = 0
    student_weeks: int = 0
    confirmed_placements: int = 0  # with students confirmed (or completed)
    confirmed: int = 0  # students confirmed or completed: the progress
    confirmed_student_weeks: int = 0
    completed_placements: int = 0
    completed: int = 0
    open_places: int = 0  # still on offer, not yet confirmed: beside the progress, never in it
    new_placements: int = 0  # created since the figures' `new_since`
    new_students: int = 0


def label(dimension: str, value: object) -> str:
    """How a breakdown's stored value reads."""
    if value is None:
        return NOT_RECORDED
    names = {
        "provider_type": PROVIDER_TYPES,
        "setting": SETTINGS,
        "supervision": SUPERVISION_MODELS,
        "first_time": FIRST_TIME,
    }[dimension]
    return names.get(str(value), str(value))


def _weeks(session: AsyncSession) -> ColumnElement[Any]:
    """Whole or part weeks an offer spans, both end days counted (at least one)."""
    start, end = PlacementOffer.start_date, PlacementOffer.end_date
    if session.get_bind().dialect.name == "sqlite":
        days: ColumnElement[Any] = cast(func.julianday(end) - func.julianday(start), Integer)
    else:
        days = cast(end - start, Integer)
    return case((days < 0, 1), else_=(days + 7) // 7)


def _first_time(year: AcademicYear) -> ColumnElement[Any]:
    """ "first" when the offer's team (else site) had no offer in the year before."""
    last = academic_year(year.start.replace(year=year.start.year - 1))
    other = PlacementOffer.__table__.alias("last_year")
    then = (
        other.c.status.in_(OFFERED),
        other.c.start_date >= last.start,
        other.c.start_date <= last.end,
    )
    teams_then = select(other.c.team_id).where(other.c.team_id.is_not(None), *then)
    sites_then = select(other.c.site_id).where(other.c.site_id.is_not(None), *then)
    return case(
        (
            PlacementOffer.team_id.is_not(None),
            case((PlacementOffer.team_id.in_(teams_then), "returning"), else_="first"),
        ),
        (
            PlacementOffer.site_id.is_not(None),
            case((PlacementOffer.site_id.in_(sites_then), "returning"), else_="first"),
        ),
        else_="unmatched",
    )


def _key(dimension: str, year: AcademicYear) -> ColumnElement[Any]:
    match dimension:
        case "provider_type":
            return Organisation.provider_type
        case "setting":
            return PlacementOffer.setting
        case "supervision":
            return PlacementOffer.supervision_model
        case "first_time":
            return _first_time(year)
    raise ValueError(f"no breakdown {dimension!r}")


Key = tuple[str | None, str, str | None]
"""(breakdown or None for the profession's whole, profession, the breakdown's stored value)."""


async def counts(
    session: AsyncSession,
    year: AcademicYear,
    groupings: Sequence[str | None],
    as_of: datetime | None = None,
    new_since: datetime | None = None,
) -> dict[Key, Counts]:
    """The figures of the year's offers (created by `as_of`) per profession, for each grouping:
    None for the profession's whole, or a breakdown (`provider_type`, `setting`, ...). One
    statement: each offer's figures once (a CTE), then a GROUP BY per grouping, UNION ALL."""
    confirmed_for = (
        select(PlacementRequest.offer_id, func.sum(PlacementRequest.students).label("students"))
        .where(PlacementRequest.status == RequestStatus.CONFIRMED)
        .group_by(PlacementRequest.offer_id)
        .subquery()
    )
    offer = PlacementOffer
    status, capacity, asked = offer.status, offer.capacity, confirmed_for.c.students
    weeks = _weeks(session)
    placed = case(
        (status.in_(PLACED), func.coalesce(asked, capacity)),
        (status.in_(ON_OFFER), func.coalesce(asked, 0)),
        else_=0,
    )
    done = case((status == lifecycle.COMPLETED, func.coalesce(asked, capacity)), else_=0)
    still_open = case(
        (status.in_(ON_OFFER), capacity - func.coalesce(asked, 0)),
        (status == lifecycle.CONFIRMED, capacity - func.coalesce(asked, capacity)),
        else_=0,
    )
    new = offer.created_at > new_since if new_since is not None else None
    dimensions = [g for g in dict.fromkeys(groupings) if g is not None]
    # Each offer's figures first, then summed by plain columns: never grouping by an
    # expression that carries bound values (PostgreSQL would not match it).
    per_offer = (
        select(
            offer.profession.label("profession"),
            *(_key(d, year).label(d) for d in dimensions),
            capacity.label("students"),
            weeks.label("weeks"),
            placed.label("placed"),
            case((status == lifecycle.COMPLETED, 1), else_=0).label("completed_flag"),
            done.label("done"),
            still_open.label("still_open"),
            (case((new, 1), else_=0) if new is not None else literal(0)).label("new"),
        )
        .outerjoin(confirmed_for, confirmed_for.c.offer_id == offer.id)
        .where(
            status.in_(OFFERED),
            offer.start_date >= year.start,
            offer.start_date <= year.end,
            *((offer.created_at <= as_of,) if as_of is not None else ()),
        )
    )
    if "provider_type" in dimensions:
        per_offer = per_offer.outerjoin(Organisation, Organisation.id == offer.provider_id)
    each = per_offer.cte("each_offer")
    sums = (
        func.count(),
        func.sum(each.c.students),
        func.sum(each.c.students * each.c.weeks),
        func.sum(case((each.c.placed > 0, 1), else_=0)),
        func.sum(each.c.placed),
        func.sum(each.c.placed * each.c.weeks),
        func.sum(each.c.completed_flag),
        func.sum(each.c.done),
        func.sum(each.c.still_open),
        func.sum(each.c.new),
        func.sum(each.c.new * each.c.students),
    )
    parts = []
    for n, grouping in enumerate(dict.fromkeys(groupings)):
        value = each.c[grouping] if grouping else cast(null(), String)
        grouped = (each.c.profession, *((value,) if grouping else ()))
        parts.append(
            select(
                literal(n).label("grouping"), each.c.profession, value.label("value"), *sums
            ).group_by(*grouped)
        )
    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    named = list(dict.fromkeys(groupings))
    found: dict[Key, Counts] = {}
    for number, code, value, *figures in await session.execute(statement):
        key = (named[int(number)], code, None if value is None else str(value))
        found[key] = Counts(*(int(n or 0) for n in figures))
    return found
