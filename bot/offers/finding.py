"""Finding offers for people in chat: the open ones, filtered, and their own and their team's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, func, or_, select

from bot.kernel.context import Context
from storage import lifecycle
from storage.tables import PlacementOffer, Site, Team


@dataclass(frozen=True)
class OfferFilter:
    profession: str | None = None
    starts_from: date | None = None
    starts_to: date | None = None
    place: str | None = None
    statuses: tuple[str, ...] = lifecycle.UNCONFIRMED
    limit: int = 20


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
        statement.order_by(PlacementOffer.start_date, PlacementOffer.id).limit(filters.limit)
    )
    return list(rows.unique().scalars()), total


async def mine(ctx: Context) -> list[PlacementOffer]:
    """The open offers this person posted or their team holds, and theirs awaiting confirmation."""
    person = ctx.require_person()
    posted = PlacementOffer.created_by_id == person.id
    mine_or_team = posted
    if person.team_id is not None:
        mine_or_team = or_(posted, PlacementOffer.team_id == person.team_id)
    rows = await ctx.session.execute(
        select(PlacementOffer)
        .where(
            or_(
                and_(mine_or_team, PlacementOffer.status.in_(lifecycle.LIVE)),
                and_(posted, PlacementOffer.status.in_(lifecycle.HELD)),
            )
        )
        .order_by(PlacementOffer.start_date, PlacementOffer.id)
        .limit(50)
    )
    return list(rows.unique().scalars())
