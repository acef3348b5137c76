"""Demand beside supply: each placement block's students against the places offered for it.

The one calculation every count uses (`placement blocks`, HEI digests, the nudges, the faculty
summary, the register API's blocks, the report page), so two of them never disagree on a block.

A live offer (offered, requested, confirmed) counts once, against one block:

- the block it answers (`block_id`), when it names one;
- else its best-fitting block: of every block of the offer's profession whose dates overlap the
  offer's (any HEI, offers open or closed), the one sharing the most days with the offer; on a
  tie the one starting nearest the offer's start, then the oldest (lowest id). The choice is
  made among all blocks, whatever a caller asks about, so it does not depend on the question;
- else (no block overlaps) against none.

So "short by" (students less places) is what a block still needs once each offer is counted in
one place; the same 10 places never fill three blocks. Per profession, `Demand.places` is the
sum over the blocks asked about.

The release-time settlement asks the other side of the same question, for one HEI and one offer:
`unmet_demand`, the students in the HEI's blocks overlapping the offer (the same overlap rule)
less the places the HEI already holds on offers overlapping them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage import lifecycle
from storage.tables import PlacementBlock, PlacementOffer, PlacementRequest


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
    places: dict[str, int]  # per profession: places counted against the blocks, once each

    def of(self, block_id: int) -> BlockDemand | None:
        return next((b for b in self.blocks if b.block_id == block_id), None)


@dataclass(frozen=True)
class Window:
    """A block's dates, as the fitting rule compares them."""

    block_id: int
    start: date
    end: date


def overlap_days(start: date, end: date, other_start: date, other_end: date) -> int:
    """Days two inclusive date ranges share (0 when they do not overlap)."""
    return max(0, (min(end, other_end) - max(start, other_start)).days + 1)


def best_fit(start: date, end: date, windows: Iterable[Window]) -> int | None:
    """The block an offer on no block counts against (see the module docstring), or None."""
    fitting = [w for w in windows if overlap_days(start, end, w.start, w.end) > 0]
    if not fitting:
        return None
    best = min(
        fitting,
        key=lambda w: (
            -overlap_days(start, end, w.start, w.end),
            abs((w.start - start).days),
            w.block_id,
        ),
    )
    return best.block_id


def overlapping(start: date, end: date) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The blocks whose dates overlap `start`..`end` (both inclusive)."""
    return PlacementBlock.start_date <= end, PlacementBlock.end_date >= start


async def windows_of(
    session: AsyncSession, professions: Sequence[str], start: date, end: date
) -> dict[str, list[Window]]:
    """Every block of these professions overlapping the span: the candidates for best fit."""
    found: dict[str, list[Window]] = defaultdict(list)
    for block_id, code, block_start, block_end in await session.execute(
        select(
            PlacementBlock.id,
            PlacementBlock.profession,
            PlacementBlock.start_date,
            PlacementBlock.end_date,
        ).where(PlacementBlock.profession.in_(sorted(professions)), *overlapping(start, end))
    ):
        found[code].append(Window(block_id, block_start, block_end))
    return found


async def counted_places(
    session: AsyncSession,
    block_ids: Sequence[int],
    professions: Sequence[str],
    span: tuple[date, date],
    by: InstrumentedAttribute[int | None] | None = None,
) -> dict[int, dict[int | None, int]]:
    """Per block, the places of live offers counted against it by the one rule, split by the
    offer column `by` (a team, say; one `None` key without it). Three statements however many
    blocks: the places on them, the places on no block grouped by profession and dates within
    `span`, and the blocks those could fit (matched here, which planners do slowly as correlated
    subqueries)."""
    live = PlacementOffer.status.in_(lifecycle.LIVE)
    split = [by] if by is not None else []
    found: dict[int, dict[int | None, int]] = defaultdict(lambda: defaultdict(int))
    for row in await session.execute(
        select(PlacementOffer.block_id, *split, func.sum(PlacementOffer.capacity))
        .where(live, PlacementOffer.block_id.in_(block_ids))
        .group_by(PlacementOffer.block_id, *split)
    ):
        found[row[0]][row[1] if split else None] += int(row[-1] or 0)
    loose = (
        await session.execute(
            select(
                *split,
                PlacementOffer.profession,
                PlacementOffer.start_date,
                PlacementOffer.end_date,
                func.sum(PlacementOffer.capacity),
            )
            .where(
                live,
                PlacementOffer.block_id.is_(None),
                PlacementOffer.profession.in_(professions),
                PlacementOffer.start_date <= span[1],
                PlacementOffer.end_date >= span[0],
            )
            .group_by(
                *split,
                PlacementOffer.profession,
                PlacementOffer.start_date,
                PlacementOffer.end_date,
            )
        )
    ).all()
    # Always asked (over the span when no offer is loose): a fixed number of statements.
    first = min((row[-3] for row in loose), default=span[0])
    last = max((row[-2] for row in loose), default=span[1])
    candidates = await windows_of(session, professions, first, last)
    wanted = set(block_ids)
    for row in loose:
        code, start, end, total = row[-4:]
        chosen = best_fit(start, end, candidates.get(code, ()))
        if chosen in wanted:
            found[chosen][row[0] if split else None] += int(total or 0)
    return found


async def block_demands(session: AsyncSession, *conditions: ColumnElement[bool]) -> Demand:
    """Blocks meeting `conditions` with their places, in four statements however many blocks:
    the blocks, then `counted_places`."""
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
    codes = sorted({block[3] for block in blocks})
    span = (min(block[5] for block in blocks), max(block[6] for block in blocks))
    counted = await counted_places(session, [block[0] for block in blocks], codes, span)
    places = {block_id: sum(by_key.values()) for block_id, by_key in counted.items()}
    found = [BlockDemand(*block, places=places.get(block[0], 0)) for block in blocks]
    totals: dict[str, int] = defaultdict(int)
    for block in found:
        totals[block.profession] += block.places
    return Demand(found, dict(totals))


async def unmet_demand(
    session: AsyncSession, hei_id: int, profession: str, start: date, end: date
) -> int:
    """What the settlement weighs an HEI's claim on an offer by: the students in its blocks of
    the profession overlapping the offer's dates, less the places it holds (pending or
    confirmed) on offers of the profession overlapping them."""
    wanted = await session.scalar(
        select(func.coalesce(func.sum(PlacementBlock.students), 0)).where(
            PlacementBlock.hei_id == hei_id,
            PlacementBlock.profession == profession,
            *overlapping(start, end),
        )
    )
    held = await session.scalar(
        select(func.coalesce(func.sum(PlacementRequest.students), 0))
        .join(PlacementOffer, PlacementOffer.id == PlacementRequest.offer_id)
        .where(
            PlacementRequest.hei_id == hei_id,
            PlacementRequest.status.in_(lifecycle.ALLOCATED),
            PlacementOffer.profession == profession,
            PlacementOffer.start_date <= end,
            PlacementOffer.end_date >= start,
        )
    )
    return max(0, int(wanted or 0) - int(held or 0))
