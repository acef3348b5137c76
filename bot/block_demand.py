"""Demand beside supply: each placement block's students against the places offered for it.

A block's places are the capacity of live offers (offered, requested, confirmed) that answer it
(`block_id` is the block) plus live offers that name no block but match it: the same profession
with dates overlapping the block's (the overlap rule the request settlement uses). An offer that
matches two blocks counts for both, so "short by" is the most a block can still need, never an
understatement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.tables import LIVE_OFFER_STATUSES, PlacementBlock, PlacementOffer


@dataclass(frozen=True)
class BlockDemand:
    block_id: int
    ref: str
    hei_id: int
    profession: str
    cohort: str
    start: date
    end: date
    students: int
    offers_close: date
    places: int

    @property
    def short_by(self) -> int:
        return max(0, self.students - self.places)


async def block_demands(
    session: AsyncSession, *conditions: ColumnElement[bool]
) -> list[BlockDemand]:
    """Blocks meeting `conditions` with their places, in one statement however many blocks."""
    on_block = aliased(PlacementOffer)
    matching = aliased(PlacementOffer)
    attached = (
        select(func.coalesce(func.sum(on_block.capacity), 0))
        .where(
            on_block.block_id == PlacementBlock.id,
            on_block.status.in_(LIVE_OFFER_STATUSES),
        )
        .scalar_subquery()
    )
    unattached = (
        select(func.coalesce(func.sum(matching.capacity), 0))
        .where(
            and_(
                matching.block_id.is_(None),
                matching.profession == PlacementBlock.profession,
                matching.start_date <= PlacementBlock.end_date,
                matching.end_date >= PlacementBlock.start_date,
                matching.status.in_(LIVE_OFFER_STATUSES),
            )
        )
        .scalar_subquery()
    )
    statement = (
        select(
            PlacementBlock.id,
            PlacementBlock.ref,
            PlacementBlock.hei_id,
            PlacementBlock.profession,
            PlacementBlock.cohort,
            PlacementBlock.start_date,
            PlacementBlock.end_date,
            PlacementBlock.students,
            PlacementBlock.offers_close,
            attached,
            unattached,
        )
        .where(*conditions)
        .order_by(PlacementBlock.offers_close, PlacementBlock.id)
    )
    rows: Sequence[tuple] = (await session.execute(statement)).all()  # type: ignore[type-arg]
    return [
        BlockDemand(*row[:9], places=int(row[9] or 0) + int(row[10] or 0))  # type: ignore[misc]
        for row in rows
    ]
