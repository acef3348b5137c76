"""Finding offers for people in chat: the open ones, filtered, and their own and their team's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from bot.kernel.context import Context
from storage import lifecycle
from storage.tables import Person, PlacementOffer, Site, Team


@dataclass(frozen=True)
class OfferFilter:
    profession: str | None = None
    starts_from: date | None = None
    starts_to: date | None = None
    place: str | None = None
    statuses: tuple[str, ...] = lifecycle.UNCONFIRMED
    limit: int = 20
    offset: int = 0


def _visible(filters: OfferFilter, today: date) -> Select[tuple[PlacementOffer]]:
    statement = select(PlacementOffer).where(PlacementOffer.status.in_(filters.statuses))
    statement = statement.where(PlacementOffer.end_date >= (filters.starts_from or today))
    if filters.profession:
        statement = statement.where(PlacementOffer.profession == filters.profession)
    if filters.starts_to:
        statement = statement.where(PlacementOffer.start_date <= filters.starts_to)
    if filters.place:
        pattern = f"%{filters.place.lower()}%"
        statement = (
            statement.outerjoin(Site, Site.id == PlacementOffer.site_id)
            .outerjoin(Team, Team.id == PlacementOffer.team_id)
            .where(
                or_(
                    func.lower(PlacementOffer.place_text).like(pattern),
                    func.lower(Site.name).like(pattern),
                    func.lower(Team.name).like(pattern),
                )
            )
        )
    return statement


async def find_offers(ctx: Context, filters: OfferFilter) -> tuple[list[PlacementOffer], int]:
    """Offers matching `filters`, soonest first, and how many match in all."""
    statement = _visible(filters, ctx.clock.today())
    total = (
        await ctx.session.execute(select(func.count()).select_from(statement.subquery()))
    ).scalar_one()
    rows = await ctx.session.execute(
        statement.order_by(PlacementOffer.start_date, PlacementOffer.id)
        .limit(filters.limit)
        .offset(filters.offset)
    )
    return list(rows.unique().scalars()), total


def coordinated_providers(person: Person) -> tuple[int, ...]:
    """The providers this person coordinates: they act for every one of their teams."""
    return tuple(
        sorted(
            {
                grant.organisation_id
                for grant in person.roles
                if grant.role == "coordinator" and grant.organisation_id is not None
            }
        )
    )


def _mine_statement(person: Person) -> Select[tuple[PlacementOffer]]:
    """Open offers the person posted, their team's, and (a coordinator's) their providers'; and
    theirs awaiting confirmation (a coordinator's providers' too: they are the ones to confirm)."""
    posted = PlacementOffer.created_by_id == person.id
    live: ColumnElement[bool] = posted
    held: ColumnElement[bool] = posted
    if person.team_id is not None:
        live = or_(live, PlacementOffer.team_id == person.team_id)
    if providers := coordinated_providers(person):
        live = or_(live, PlacementOffer.provider_id.in_(providers))
        held = or_(held, PlacementOffer.provider_id.in_(providers))
    return select(PlacementOffer).where(
        or_(
            and_(live, PlacementOffer.status.in_(lifecycle.LIVE)),
            and_(held, PlacementOffer.status.in_(lifecycle.HELD)),
        )
    )


async def mine(ctx: Context, limit: int = 50, offset: int = 0) -> list[PlacementOffer]:
    """The person's offers (see `_mine_statement`), by team, then soonest first."""
    rows = await ctx.session.execute(
        _mine_statement(ctx.require_person())
        .outerjoin(Team, Team.id == PlacementOffer.team_id)
        .order_by(Team.name.is_(None), Team.name, PlacementOffer.start_date, PlacementOffer.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows.unique().scalars())


async def count_mine(ctx: Context) -> int:
    statement = _mine_statement(ctx.require_person())
    return int(
        (
            await ctx.session.execute(select(func.count()).select_from(statement.subquery()))
        ).scalar_one()
    )


async def count_mine_by_team(ctx: Context) -> list[tuple[str | None, int]]:
    """How many of the person's offers each team holds (None: no known team), by team name."""
    mine_ids = _mine_statement(ctx.require_person()).with_only_columns(PlacementOffer.id)
    rows = await ctx.session.execute(
        select(Team.name, func.count(PlacementOffer.id))
        .select_from(PlacementOffer)
        .outerjoin(Team, Team.id == PlacementOffer.team_id)
        .where(PlacementOffer.id.in_(mine_ids))
        .group_by(Team.name)
        .order_by(Team.name.is_(None), Team.name)
    )
    return [(name, int(count)) for name, count in rows.all()]
