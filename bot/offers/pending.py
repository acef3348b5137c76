"""An offer line read with a guess or raising a question waits, stored, for its poster's Post.

A misreading in the shared register is the worst outcome, and a silent one, so a line that was
not exact (no place, so the poster's team; no year; "next monday") is shown as read before it
is stored, as is one that asks a question (the same offer is already open; a 2:1 model for 3
students). Post claims the stored reading with one conditional UPDATE, so a double click, a
retry or a second worker posts it once and the others answer with the same offer.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, replace
from datetime import date, timedelta

from sqlalchemy import select, update

from bot.kernel.context import Context
from bot.kernel.date_display import show, show_range
from bot.kernel.errors import NotFound
from bot.offers import service
from bot.offers.parsing import OfferDraft, OfferReading
from bot.offers.places import match_place
from storage import lifecycle
from storage.tables import PendingOffer, PlacementOffer

KEPT_FOR = timedelta(days=7)
_MODEL_STUDENTS = {"2:1": 2, "3:1": 3}
_NUMBER_NAMES = {2: "two", 3: "three"}


def model_question(draft: OfferDraft) -> str:
    """A supervision model that does not divide the students among educators, or ""."""
    per_educator = _MODEL_STUDENTS.get(draft.supervision_model or "")
    capacity = draft.capacity or 1
    if per_educator is None or capacity % per_educator == 0:
        return ""
    return (
        f"Model {draft.supervision_model} is {_NUMBER_NAMES[per_educator]} students to each "
        f"educator, but the offer is for {capacity} student{'s' * (capacity != 1)}: is that right?"
    )


async def _same_open_offer(ctx: Context, draft: OfferDraft) -> PlacementOffer | None:
    """An open offer from the same team (or, with no team, the same person and place) for the
    same profession, dates and students."""
    person = ctx.require_person()
    place = await match_place(ctx.session, draft.place.strip(), person)
    query = select(PlacementOffer).where(
        PlacementOffer.profession == draft.profession,
        PlacementOffer.start_date == draft.start,
        PlacementOffer.end_date == draft.end,
        PlacementOffer.capacity == (draft.capacity or 1),
        PlacementOffer.status.in_(lifecycle.EDITABLE),
    )
    if place.team is not None:
        query = query.where(PlacementOffer.team_id == place.team.id)
    else:
        query = query.where(
            PlacementOffer.created_by_id == person.id, PlacementOffer.place_text == place.text
        )
    return (await ctx.session.execute(query.limit(1))).scalars().first()


async def questions(ctx: Context, reading: OfferReading) -> list[str]:
    """What to say before posting: each guess made and each question raised; empty when the
    line was exact and raises none. The offer's rules are checked first, as for a post."""
    draft = reading.draft
    person = ctx.require_person()
    place = await match_place(ctx.session, draft.place.strip(), person)
    checked = service.check(replace(draft, place=place.text), ctx.clock.today())
    asked: list[str] = []
    if not draft.place.strip():
        asked.append(f"No place was given, so I used your team, {place.text}.")
    if "relative" in reading.guessed:
        asked.append(f"Today is {show(ctx.clock.today())}, so the dates are {_dates(checked)}.")
    elif "year" in reading.guessed:
        asked.append(f"No year was given, so I read the dates as {_dates(checked)}.")
    if question := model_question(checked.draft):
        asked.append(question)
    if (same := await _same_open_offer(ctx, checked.draft)) is not None:
        asked.append(f"{same.ref} is the same offer and is still open: post a second one?")
    return asked


def _dates(checked: service.CheckedOffer) -> str:
    return show_range(checked.start, checked.end)


def _stored(draft: OfferDraft) -> dict[str, object]:
    values = asdict(draft)
    for name in ("start", "end"):
        values[name] = values[name].isoformat() if values[name] else None
    return values


def _draft(values: dict[str, object]) -> OfferDraft:
    fields = dict(values)
    for name in ("start", "end"):
        fields[name] = date.fromisoformat(str(fields[name])) if fields.get(name) else None
    return OfferDraft(**fields)  # type: ignore[arg-type]


async def hold(ctx: Context, line: str, draft: OfferDraft) -> PendingOffer:
    pending = PendingOffer(
        id=secrets.token_hex(16),
        person_id=ctx.require_person().id,
        line=line[:2000],
        draft=_stored(draft),
        created_at=ctx.clock.now(),
    )
    ctx.session.add(pending)
    await ctx.session.flush()
    return pending


async def held(ctx: Context, token: str) -> tuple[PendingOffer, OfferDraft]:
    """The poster's own waiting reading, or NotFound when it is gone, someone else's or old."""
    pending = await ctx.session.get(PendingOffer, token.strip()[:32])
    if (
        pending is None
        or pending.person_id != ctx.require_person().id
        or pending.created_at < ctx.clock.now() - KEPT_FOR
    ):
        raise NotFound(
            "That reading of an offer is no longer waiting. Type the offer again, e.g. "
            "`placement offer physio 1 Feb - 12 Mar 2027, 2 students at Ward 12`."
        )
    return pending, _draft(pending.draft)


async def post(ctx: Context, token: str) -> tuple[PlacementOffer, bool]:
    """Store the waiting reading as an offer; (the offer, whether it was posted before)."""
    pending, draft = await held(ctx, token)
    claimed = await ctx.session.execute(
        update(PendingOffer)
        .where(PendingOffer.id == pending.id, PendingOffer.posted_at.is_(None))
        .values(posted_at=ctx.clock.now())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount == 0:  # type: ignore[attr-defined]
        await ctx.session.refresh(pending)
        if pending.offer_ref is None:  # claimed by a transaction that then failed: try again
            raise NotFound("That offer is being posted already; `placement mine` shows it.")
        return await service.get_offer(ctx, pending.offer_ref), True
    created = await service.create_offer(ctx, draft)
    await ctx.session.execute(
        update(PendingOffer)
        .where(PendingOffer.id == pending.id)
        .values(offer_ref=created.ref)
        .execution_options(synchronize_session=False)
    )
    return created, False
