"""HEI digests: what changed in the register for each HEI lead's professions.

Who gets one: every person with the `hei_lead` role for an HEI whose `digest_frequency` is the
job's ("daily" or "weekly"), one digest per (HEI, lead). Their professions are the HEI's
(`Organisation.professions`) narrowed by the lead's own (`Person.professions`) where the two
share any; a lead whose own list shares none with the HEI's gets the HEI's; when the HEI lists
none, the lead's own; when neither lists any, every profession (missing data must not hide
offers).

What it covers, for those professions: offers new (created since the lead's last digest),
changed (updated since, created before, not withdrawn) and withdrawn (withdrawn and updated
since); the HEI's requests waiting for an answer (held until release, or pending with the
provider); the HEI's blocks still short of places (offers still open, see `bot.blocks.demand`).
A first digest looks back a day (daily) or a week (weekly); no digest looks back more than
MAX_WINDOW. Nothing is sent when no offer changed, unless PLACEBOT_DIGEST_SEND_EMPTY.

Exactly once: each digest is one outbox row with the key `digest:{hei}:{lead}:{2027-W05}`
(weekly, ISO week of the slot's local date) or `digest:{hei}:{lead}:{2027-02-01}` (daily), and
the lead's `last_digest_at` moves on in the same transaction, only when the row was written (or
nothing needed sending), so a second run of a slot changes nothing.

Composing is a fixed number of queries whatever the number of leads or offers: the leads, the
offers changed since the oldest watermark, the waiting requests, the short blocks; the rest is
grouping in Python (bisecting per profession by change stamp).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.demand import BlockDemand, block_demands
from bot.delivery import queue as outbox
from bot.delivery.recipients import channels_for
from bot.kernel.clock import Clock
from bot.kernel.context import Context
from bot.kernel.dates import show, show_range
from bot.kernel.jobs import JobContext
from bot.kernel.messages import Button, Fact, Item, Reply
from bot.kernel.professions import split_codes
from bot.register.changes import TICK, lock_register
from bot.reports.chart import plural
from config.professions import PROFESSION_CODES
from config.settings import Settings
from storage.tables import (
    Organisation,
    Person,
    PlacementBlock,
    PlacementOffer,
    PlacementRequest,
    RoleGrant,
    Site,
    Team,
)

FIRST_WINDOW = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
MAX_WINDOW = timedelta(days=31)
MAX_OFFERS_SHOWN = 10
MAX_OTHERS_SHOWN = 5
WAITING = ("held", "pending")


@dataclass(frozen=True)
class Lead:
    person_id: int
    name: str
    hei_id: int
    hei_name: str
    professions: tuple[str, ...]
    since: datetime


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
        if self.status == "withdrawn":
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

    @property
    def changes(self) -> int:
        return self.new + self.changed + self.withdrawn

    @property
    def empty(self) -> bool:
        """No offer changed: waiting requests and short blocks alone do not make a digest."""
        return self.changes == 0


def lead_professions(hei_codes: str, own_codes: str) -> tuple[str, ...]:
    hei, own = split_codes(hei_codes), split_codes(own_codes)
    both = [code for code in hei if code in own]
    return tuple(both or hei or own or PROFESSION_CODES)


def place_words(place_text: str, team: str | None, site: str | None) -> str:
    """The place as typed, with the known team and site when the text does not name them."""
    parts = [place_text]
    if team and team.lower() not in place_text.lower():
        parts.append(team)
    if site and site.lower() not in " ".join(parts).lower():
        parts.append(site)
    return ", ".join(part for part in parts if part)


async def register_watermark(session: AsyncSession, clock: Clock, settings: Settings) -> datetime:
    """The latest change stamp every writer has committed: taking the register lock waits for
    writers that stamped already, and later ones stamp after it (`bot.register.changes`)."""
    await lock_register(Context(session, None, clock, settings, "system"))
    latest = await session.scalar(select(func.max(PlacementOffer.updated_at)))
    return latest if latest is not None else clock.now() - TICK


async def _leads(session: AsyncSession, frequency: str, now: datetime) -> list[Lead]:
    rows = await session.execute(
        select(
            Person.id,
            Person.display_name,
            Person.professions,
            Person.last_digest_at,
            Organisation.id,
            Organisation.name,
            Organisation.professions,
        )
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .join(Organisation, Organisation.id == RoleGrant.organisation_id)
        .where(
            RoleGrant.role == "hei_lead",
            Organisation.kind == "hei",
            Person.digest_frequency == frequency,
        )
        .order_by(Organisation.id, Person.id)
    )
    leads = []
    for person_id, name, own, last, hei_id, hei_name, hei_codes in rows.all():
        since = last if last is not None else now - FIRST_WINDOW[frequency]
        leads.append(
            Lead(
                person_id,
                name,
                hei_id,
                hei_name,
                lead_professions(hei_codes, own),
                max(since, now - MAX_WINDOW),
            )
        )
    return leads


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
        if status == "withdrawn":
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
    )


async def compose(
    session: AsyncSession, frequency: str, until: datetime, today: date, now: datetime | None = None
) -> list[Digest]:
    """Every `frequency` lead's digest of changes up to the watermark `until`, in a fixed number
    of queries; first digests look back from `now` (default: `until`)."""
    leads = await _leads(session, frequency, now or until)
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
    return [
        _digest(lead, until, changes, waiting.get(lead.hei_id, ()), short.get(lead.hei_id, ()))
        for lead in leads
    ]


# The message.


def register_link(settings: Settings) -> str:
    base = settings.placebot_public_url or f"http://{settings.host}:{settings.port}"
    return f"{base.rstrip('/')}/api/v1/placements?format=csv"


# Many offers share dates; formatting them is most of the time it takes to render 500 digests.
_dates = lru_cache(maxsize=4096)(show_range)


def _offer_item(offer: OfferChange, since: datetime) -> Item:
    return Item(
        title=f"{offer.ref} · {offer.profession} · {offer.place}",
        text=offer.kind(since),
        facts=(
            Fact("Dates", _dates(offer.start, offer.end)),
            Fact("Students", str(offer.capacity)),
            Fact("Status", offer.status),
        ),
    )


def _more(shown: int, total: int, what: str) -> Iterable[Item]:
    if total > shown:
        yield Item(title=f"and {total - shown} more {what} — pull the register for all")


def digest_reply(digest: Digest, clock: Clock, settings: Settings) -> Reply:
    lead, since = digest.lead, digest.lead.since
    codes = ", ".join(lead.professions) if len(lead.professions) < 6 else "your professions"
    changed = plural(digest.changes, "offer") if digest.changes else "No offers"
    headline = f"{changed} changed for {codes} since {show(clock.local(since).date())}."
    items: list[Item] = [_offer_item(offer, since) for offer in digest.offers]
    items.extend(_more(len(digest.offers), digest.changes, "changed offers"))
    for request in digest.requests[:MAX_OTHERS_SHOWN]:
        items.append(
            Item(
                title=f"Request on {request.ref} · {request.profession}",
                text="held until release" if request.status == "held" else "with the provider",
                facts=(
                    Fact("Dates", show_range(request.start, request.end)),
                    Fact("Students", str(request.students)),
                ),
            )
        )
    items.extend(
        _more(min(len(digest.requests), MAX_OTHERS_SHOWN), len(digest.requests), "requests")
    )
    for block in digest.blocks[:MAX_OTHERS_SHOWN]:
        items.append(
            Item(
                title=f"{block.ref} · {block.profession} · {block.cohort}",
                text=f"short by {block.short_by}",
                facts=(
                    Fact("Dates", show_range(block.start, block.end)),
                    Fact("Offered so far", f"{block.places} of {block.students}"),
                    Fact("Offers close", show(block.offers_close)),
                ),
            )
        )
    items.extend(_more(min(len(digest.blocks), MAX_OTHERS_SHOWN), len(digest.blocks), "blocks"))
    return Reply(
        text=f"Placement digest for {lead.hei_name}. {headline}",
        facts=(
            Fact("New offers", str(digest.new)),
            Fact("Changed", str(digest.changed)),
            Fact("Withdrawn", str(digest.withdrawn)),
            Fact("Requests waiting", str(len(digest.requests))),
            Fact("Blocks short of places", str(len(digest.blocks))),
        ),
        items=tuple(items),
        buttons=(Button("Pull the register", "link", url=register_link(settings)),),
    )


# The jobs.


def dedupe_key(digest: Digest, frequency: str, slot: datetime, clock: Clock) -> str:
    day = clock.local(slot).date()
    if frequency == "weekly":
        year, week, _ = day.isocalendar()
        period = f"{year}-W{week:02d}"
    else:
        period = day.isoformat()
    return f"digest:{digest.lead.hei_id}:{digest.lead.person_id}:{period}"


async def run(ctx: JobContext, slot: datetime, frequency: str) -> str:
    """Compose every `frequency` lead's digest and queue those with something to say."""
    async with ctx.sessions.begin() as session:
        until = await register_watermark(session, ctx.clock, ctx.settings)
    queued = quiet = unreachable = 0
    async with ctx.sessions.begin() as session:
        now = ctx.clock.now()
        digests = await compose(session, frequency, until, ctx.clock.today(), now)
        channels = await channels_for(session, {d.lead.person_id for d in digests})
        advanced: set[int] = set()
        for digest in digests:
            channel = channels.get(digest.lead.person_id)
            if channel is None:
                unreachable += 1  # kept for when they can be reached: the watermark stays
                continue
            if digest.empty and not ctx.settings.placebot_digest_send_empty:
                quiet += 1
                advanced.add(digest.lead.person_id)
                continue
            reply = digest_reply(digest, ctx.clock, ctx.settings)
            key = dedupe_key(digest, frequency, slot, ctx.clock)
            if await outbox.enqueue(session, digest.lead.person_id, channel, reply, key, now):
                queued += 1
                advanced.add(digest.lead.person_id)
        if advanced:
            await session.execute(
                update(Person).where(Person.id.in_(sorted(advanced))).values(last_digest_at=until)
            )
    return (
        f"{queued} {frequency} digests queued, {quiet} with nothing new, {unreachable} unreachable"
    )


async def daily(ctx: JobContext, slot: datetime) -> str:
    return await run(ctx, slot, "daily")


async def weekly(ctx: JobContext, slot: datetime) -> str:
    return await run(ctx, slot, "weekly")
