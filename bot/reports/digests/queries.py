"""What each HEI lead's digest covers, in a fixed number of queries whatever the number of leads
or offers: the leads due one, the offers changed since the oldest watermark, the waiting
requests, the short blocks; the rest is grouping in Python (bisecting by change stamp).

Who gets one: every person with the `hei_lead` role for an HEI whose `digest_frequency` is the
job's ("daily" or "weekly"), one digest per (HEI, lead). Their professions are the HEI's
(`Organisation.professions`) narrowed by the lead's own (`Person.professions`) where the two
share any; a lead whose own list shares none with the HEI's gets the HEI's; when the HEI lists
none, the lead's own; when neither lists any, every profession (missing data must not hide
offers).

What it covers, for those professions: offers new (created since the lead's last digest),
changed (updated since, created before, not withdrawn) and withdrawn (withdrawn and updated
since); the HEI's requests waiting for an answer (held until release, or pending with the
provider); the HEI's blocks still short of places (offers still open, see `bot.blocks.demand`),
each with how many teams answered offering, maybe, no capacity or not at all (`bot.blocks.answers`).
A first digest looks back a day (daily) or a week (weekly); none looks back more than
`leads.MAX_WINDOW`.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.answers import AnswerCounts, answer_counts
from bot.blocks.demand import BlockDemand, block_demands
from bot.reports.digests.leads import Lead, due_leads
from storage import lifecycle
from storage.tables import (
    PlacementBlock,
    PlacementOffer,
    PlacementRequest,
    Site,
    Team,
)

MAX_OFFERS_SHOWN = 10
WAITING = ("held", "pending")


@dataclass(frozen=True)
class OfferChange:
    ref: str
    profession: str
    place: str
    start: date
    end: date
    capacity: int
    status: str
    created_at: datetime
    updated_at: datetime

    def kind(self, since: datetime) -> str:
        if self.status == lifecycle.WITHDRAWN:
            return "withdrawn"
        return "new" if self.created_at > since else "changed"


@dataclass(frozen=True)
class WaitingRequest:
    hei_id: int
    ref: str
    profession: str
    start: date
    end: date
    students: int
    status: str


@dataclass(frozen=True)
class Digest:
    lead: Lead
    until: datetime
    new: int = 0
    changed: int = 0
    withdrawn: int = 0
    offers: tuple[OfferChange, ...] = ()  # the latest changes, at most MAX_OFFERS_SHOWN
    requests: tuple[WaitingRequest, ...] = ()
    blocks: tuple[BlockDemand, ...] = ()
    answers: Mapping[int, AnswerCounts] = field(default_factory=dict)  # per short block

    @property
    def changes(self) -> int:
        return self.new + self.changed + self.withdrawn

    @property
    def empty(self) -> bool:
        """No offer changed: waiting requests and short blocks alone do not make a digest."""
        return self.changes == 0


def place_words(place_text: str, team: str | None, site: str | None) -> str:
    """The place as typed, with the known team and site when the text does not name them."""
    parts = [place_text]
    if team and team.lower() not in place_text.lower():
        parts.append(team)
    if site and site.lower() not in " ".join(parts).lower():
        parts.append(site)
    return ", ".join(part for part in parts if part)


@dataclass
class _Changes:
    """One profession's changed offers by change stamp, with sorted stamps to count by bisection."""

    offers: list[OfferChange] = field(default_factory=list)
    updated: list[datetime] = field(default_factory=list)
    withdrawn_updated: list[datetime] = field(default_factory=list)
    live_created: list[datetime] = field(default_factory=list)

    def counts(self, since: datetime) -> tuple[int, int, int, int]:
        """(first index after `since`, new, changed, withdrawn)."""
        first = bisect.bisect_right(self.updated, since)
        withdrawn = len(self.withdrawn_updated) - bisect.bisect_right(self.withdrawn_updated, since)
        new = len(self.live_created) - bisect.bisect_right(self.live_created, since)
        return first, new, len(self.updated) - first - withdrawn - new, withdrawn


async def _changes(
    session: AsyncSession, professions: set[str], oldest: datetime, until: datetime
) -> dict[str, _Changes]:
    rows = await session.execute(
        select(
            PlacementOffer.ref,
            PlacementOffer.profession,
            PlacementOffer.place_text,
            Team.name,
            Site.name,
            PlacementOffer.start_date,
            PlacementOffer.end_date,
            PlacementOffer.capacity,
            PlacementOffer.status,
            PlacementOffer.created_at,
            PlacementOffer.updated_at,
        )
        .outerjoin(Team, Team.id == PlacementOffer.team_id)
        .outerjoin(Site, Site.id == PlacementOffer.site_id)
        .where(
            PlacementOffer.updated_at > oldest,
            PlacementOffer.updated_at <= until,
            PlacementOffer.profession.in_(sorted(professions)),
            PlacementOffer.status.in_(lifecycle.PUBLIC),
        )
        .order_by(PlacementOffer.updated_at, PlacementOffer.id)
    )
    grouped: dict[str, _Changes] = defaultdict(_Changes)
    for ref, code, text, team, site, start, end, capacity, status, created, updated in rows:
        changes = grouped[code]
        changes.offers.append(
            OfferChange(
                ref, code, place_words(text, team, site), start, end, capacity, status, created,
                updated,
            )
        )  # fmt: skip
        changes.updated.append(updated)
        if status == lifecycle.WITHDRAWN:
            changes.withdrawn_updated.append(updated)
        else:
            changes.live_created.append(created)
    for changes in grouped.values():
        changes.live_created.sort()
    return grouped


async def _waiting(session: AsyncSession, hei_ids: set[int]) -> dict[int, list[WaitingRequest]]:
    rows = await session.execute(
        select(
            PlacementRequest.hei_id,
            PlacementOffer.ref,
            PlacementOffer.profession,
            PlacementOffer.start_date,
            PlacementOffer.end_date,
            PlacementRequest.students,
            PlacementRequest.status,
        )
        .join(PlacementOffer, PlacementOffer.id == PlacementRequest.offer_id)
        .where(PlacementRequest.status.in_(WAITING), PlacementRequest.hei_id.in_(sorted(hei_ids)))
        .order_by(PlacementOffer.start_date, PlacementRequest.id)
    )
    waiting: dict[int, list[WaitingRequest]] = defaultdict(list)
    for row in rows:
        waiting[row[0]].append(WaitingRequest(*row))
    return waiting


def _digest(
    lead: Lead,
    until: datetime,
    changes: dict[str, _Changes],
    waiting: Sequence[WaitingRequest],
    short: Sequence[BlockDemand],
    answers: Mapping[int, AnswerCounts],
) -> Digest:
    new = changed = withdrawn = 0
    candidates: list[OfferChange] = []
    for code in lead.professions:
        found = changes.get(code)
        if found is None:
            continue
        first, n, c, w = found.counts(lead.since)
        new, changed, withdrawn = new + n, changed + c, withdrawn + w
        candidates.extend(found.offers[max(first, len(found.offers) - MAX_OFFERS_SHOWN) :])
    candidates.sort(key=lambda offer: offer.updated_at, reverse=True)
    wanted = set(lead.professions)
    return Digest(
        lead,
        until,
        new,
        changed,
        withdrawn,
        tuple(candidates[:MAX_OFFERS_SHOWN]),
        tuple(r for r in waiting if r.profession in wanted),
        tuple(b for b in short if b.profession in wanted),
        {b.block_id: answers[b.block_id] for b in short if b.block_id in answers},
    )


async def compose(
    session: AsyncSession,
    frequency: str,
    until: datetime,
    today: date,
    now: datetime | None = None,
    person_id: int | None = None,
) -> list[Digest]:
    """Every `frequency` lead's digest (or only `person_id`'s) of changes up to the watermark
    `until`, in a fixed number of queries; first digests look back from `now` (default: `until`)."""
    leads = await due_leads(session, frequency, now or until, person_id)
    if not leads:
        return []
    professions = {code for lead in leads for code in lead.professions}
    hei_ids = {lead.hei_id for lead in leads}
    oldest = min(lead.since for lead in leads)
    changes = await _changes(session, professions, oldest, until)
    waiting = await _waiting(session, hei_ids)
    short: dict[int, list[BlockDemand]] = defaultdict(list)
    demand = await block_demands(
        session, PlacementBlock.hei_id.in_(sorted(hei_ids)), PlacementBlock.offers_close >= today
    )
    for block in demand.blocks:
        if block.short_by > 0:
            short[block.hei_id].append(block)
    answers = await answer_counts(session, [b for found in short.values() for b in found])
    return [
        _digest(
            lead, until, changes, waiting.get(lead.hei_id, ()), short.get(lead.hei_id, ()), answers
        )
        for lead in leads
    ]
