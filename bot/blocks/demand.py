"""Demand beside supply: each placement block's students against the places offered for it.

A block's places are the capacity of live offers (offered, requested, confirmed) that answer it
(`block_id` is the block) plus live offers that name no block but match it: the same profession
with dates overlapping the block's (the overlap rule the request settlement uses). An offer that
matches two blocks counts for both, so "short by" is the most a block can still need, never an
understatement. Totals per profession (`Demand.places`) count each offer once, however many
blocks it matches.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import lifecycle
from storage.tables import PlacementBlock, PlacementOffer


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


@dataclass(frozen=True)
class Demand:
    blocks: list[BlockDemand]
    places: dict[str, int]  # per profession: places on or matching any of the blocks, once each


async def block_demands(session: AsyncSession, *conditions: ColumnElement[bool]) -> Demand:
    """Blocks meeting `conditions` with their places, in three statements however many blocks:
    the blocks, the places on them, and the places on no block grouped by profession and dates
    (matched to blocks here, which the databases' planners do slowly as correlated subqueries)."""
    rows = await session.execute(
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
        )
        .where(*conditions)
        .order_by(PlacementBlock.offers_close, PlacementBlock.id)
    )
    blocks = [tuple(row) for row in rows]
    if not blocks:
        return Demand([], {})
    live = PlacementOffer.status.in_(lifecycle.LIVE)
    attached = dict(
        (
            await session.execute(
                select(PlacementOffer.block_id, func.sum(PlacementOffer.capacity))
                .where(live, PlacementOffer.block_id.in_([block[0] for block in blocks]))
                .group_by(PlacementOffer.block_id)
            )
        ).all()
    )
    unattached: dict[str, list[tuple[date, date, int]]] = defaultdict(list)
    for code, start, end, places in await session.execute(
        select(
            PlacementOffer.profession,
            PlacementOffer.start_date,
            PlacementOffer.end_date,
            func.sum(PlacementOffer.capacity),
        )
        .where(
            live,
            PlacementOffer.block_id.is_(None),
            PlacementOffer.profession.in_(sorted({block[3] for block in blocks})),
            PlacementOffer.start_date <= max(block[6] for block in blocks),
            PlacementOffer.end_date >= min(block[5] for block in blocks),
        )
        .group_by(PlacementOffer.profession, PlacementOffer.start_date, PlacementOffer.end_date)
    ):
        unattached[code].append((start, end, int(places)))
    found = []
    totals: dict[str, int] = defaultdict(int)
    used: set[tuple[str, date, date]] = set()
    for block in blocks:
        block_id, profession, start, end = block[0], block[3], block[5], block[6]
        on_block = int(attached.get(block_id) or 0)
        matching = 0
        for offer_start, offer_end, places in unattached[profession]:
            if offer_start <= end and offer_end >= start:
                matching += places
                if (profession, offer_start, offer_end) not in used:
                    used.add((profession, offer_start, offer_end))
                    totals[profession] += places
        totals[profession] += on_block
        found.append(BlockDemand(*block, places=on_block + matching))
    return Demand(found, dict(totals))
