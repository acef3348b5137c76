"""The placement register's service: post, edit, withdraw, confirm and find offers.

Every write runs in the caller's transaction, checks the rules and permissions first,
bumps the version and records an audit event, so nothing is ever stored half-way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from bot.kernel import audit, events
from bot.kernel.context import Context
from bot.kernel.errors import FieldErrors, NotAllowed, NotFound, StaleVersion, UserError
from bot.kernel.refs import next_ref
from bot.membership import claims, release, trust
from bot.offers.parsing import OfferDraft
from bot.offers.places import Place, match_place
from bot.offers.rules import problems
from bot.people.permissions import require_manage_offer
from bot.register.changes import change_stamp
from bot.requests.records import places_left
from bot.requests.service import cancel_requests
from storage import lifecycle
from storage.tables import (
    Organisation,
    PlacementBlock,
    PlacementOffer,
)


@dataclass(frozen=True)
class CheckedOffer:
    """An offer that keeps every rule, with the defaults filled in."""

    draft: OfferDraft
    start: date
    end: date
    capacity: int


async def _block_by_ref(ctx: Context, ref: str) -> PlacementBlock | None:
    if not ref:
        return None
    block = (
        await ctx.session.execute(select(PlacementBlock).where(PlacementBlock.ref == ref.upper()))
    ).scalar_one_or_none()
    if block is None:
        raise NotFound(
            f"There is no placement block {ref}. See open blocks with `placement blocks`.",
            field="block",
        )
    return block


def check(draft: OfferDraft, today: date, *, allow_past_start: bool = False) -> CheckedOffer:
    """The draft as a checked offer, or FieldErrors naming each problem."""
    draft = replace(draft, capacity=1 if draft.capacity is None else draft.capacity)
    found = problems(draft, today)
    if allow_past_start and draft.start is not None:
        found.pop("start", None)
    if found or draft.start is None or draft.end is None or draft.capacity is None:
        raise FieldErrors(found)
    return CheckedOffer(draft, draft.start, draft.end, draft.capacity)


async def _fill(ctx: Context, offer: PlacementOffer, checked: CheckedOffer, place: Place) -> None:
    """Copy a checked offer's fields onto the record: one place for create and edit alike."""
    draft = checked.draft
    block = await _block_by_ref(ctx, draft.block_ref)
    offer.profession = draft.profession
    offer.team, offer.site, offer.block = place.team, place.site, block  # loaded: no read-back
    offer.provider_id = place.provider_id or offer.provider_id
    offer.provider = (
        await ctx.session.get(Organisation, offer.provider_id) if offer.provider_id else None
    )
    offer.place_text = place.text
    offer.start_date, offer.end_date = checked.start, checked.end
    offer.capacity = checked.capacity
    offer.supervision_model, offer.student_level = draft.supervision_model, draft.student_level
    offer.setting, offer.educator = draft.setting, draft.educator or None
    offer.notes = draft.notes or None


async def create_offer(ctx: Context, draft: OfferDraft) -> PlacementOffer:
    person = ctx.require_person()
    if person.organisation is not None and person.organisation.kind == "hei":
        raise NotAllowed(
            "Placement offers come from the teams that host students; an HEI asks for places "
            "through the register API instead. `placement list` shows what is offered."
        )
    place = await match_place(ctx.session, draft.place.strip(), person)
    checked = check(replace(draft, place=place.text), ctx.clock.today())
    held = not await trust.speaks_for(ctx, person, place.provider_id, place.team)
    if held:  # refused before anything is stored, when the team has said "not ours" already
        await claims.check_not_declined(ctx, person, place)
    now = ctx.clock.now()
    offer = PlacementOffer(
        ref=await next_ref(ctx.session, f"PL-{checked.start.year}"),
        provider_id=person.organisation_id,
        release_at=now + timedelta(hours=ctx.settings.placebot_release_delay_hours),
        status=lifecycle.AWAITING if held else lifecycle.OFFERED,
        created_by_id=person.id,
        updated_by_id=person.id,
        created_at=now,
        updated_at=await change_stamp(ctx),
    )
    await _fill(ctx, offer, checked, place)
    ctx.session.add(offer)
    await ctx.session.flush()
    audit.record(ctx, "offer.create", "placement_offer", offer.ref, None, audit.snapshot(offer))
    if held:
        await _ask_for(ctx, place, offer.ref)
    elif checked.draft.block_ref:  # an offer on a block answers it for the poster's team
        await events.announce(
            ctx, events.BlockAnswered(checked.draft.block_ref.upper(), offer.team_id, person.id)
        )
    return offer


async def _ask_for(ctx: Context, place: Place, ref: str) -> None:
    """Hold the offer on a claim that its poster works at the place it names."""
    provider = await ctx.session.get(Organisation, place.provider_id)
    if provider is None:  # a held offer names a known team or site, so this cannot happen
        raise NotFound("That place's organisation is no longer in the register.")
    await claims.ask(ctx, provider, place.team, place.text, ref)


async def get_offer(ctx: Context, ref: str) -> PlacementOffer:
    cleaned = ref.strip().upper()
    offer = (
        await ctx.session.execute(select(PlacementOffer).where(PlacementOffer.ref == cleaned))
    ).scalar_one_or_none()
    if offer is None:
        raise NotFound(
            f"I can't find the offer “{ref.strip()[:30]}”. References look like PL-2027-0042; "
            "`placement mine` lists yours."
        )
    return offer


def check_version(offer: PlacementOffer, expected: int | None) -> None:
    if expected is not None and expected != offer.version:
        raise StaleVersion(
            f"{offer.ref} changed since you opened it (you had version {expected}, it is now "
            f"version {offer.version}). Here it is as it stands: check it and try again."
        )


def draft_of(offer: PlacementOffer) -> OfferDraft:
    return OfferDraft(
        profession=offer.profession,
        start=offer.start_date,
        end=offer.end_date,
        capacity=offer.capacity,
        place=offer.place_text,
        supervision_model=offer.supervision_model,
        student_level=offer.student_level,
        setting=offer.setting,
        educator=offer.educator or "",
        block_ref=offer.block.ref if offer.block else "",
        notes=offer.notes or "",
    )


async def update_offer(
    ctx: Context, ref: str, draft: OfferDraft, expected_version: int | None
) -> PlacementOffer:
    """Replace an offer's fields with `draft`'s after the same checks as a new offer."""
    person = ctx.require_person()
    offer = await get_offer(ctx, ref)
    require_manage_offer(person, offer, "edit")
    check_version(offer, expected_version)
    if offer.status not in lifecycle.EDITABLE:
        raise UserError(f"{offer.ref} is {offer.status}; only open offers can be edited.")
    before = audit.snapshot(offer)
    # An offer already under way may keep its start; any change must otherwise keep every rule.
    started = offer.start_date < ctx.clock.today() and draft.start == offer.start_date
    checked = check(draft, ctx.clock.today(), allow_past_start=started)
    await _keep_promises(ctx, offer, checked)
    if checked.draft.place == offer.place_text:
        place = Place(offer.place_text, offer.team, offer.site)
    else:
        place = await match_place(ctx.session, checked.draft.place, person)
    moved = place.provider_id is not None and (place.provider_id, _team_id(place)) != (
        offer.provider_id,
        offer.team_id,
    )
    speaks = not moved or await trust.speaks_for(ctx, person, place.provider_id, place.team)
    if not speaks and offer.status not in lifecycle.HELD:
        raise NotAllowed(
            f"You can move {offer.ref} only to a team you work in. To offer for "
            f"{place.team.name if place.team else place.text}, post a new offer there."
        )
    await _fill(ctx, offer, checked, place)
    saved = await save(ctx, offer, "offer.edit", before)
    if moved and saved.status in lifecycle.HELD:
        if speaks:
            await release.release_one(ctx, saved, saved.created_by_id)
        else:
            await claims.check_not_declined(ctx, person, place)
            await _ask_for(ctx, place, saved.ref)
    return saved


def _team_id(place: Place) -> int | None:
    return place.team.id if place.team is not None else None


async def _keep_promises(ctx: Context, offer: PlacementOffer, checked: CheckedOffer) -> None:
    """An edit may not undercut what HEIs have asked for: places taken, dates, profession."""
    taken = offer.capacity - await places_left(ctx, offer)
    if taken == 0:
        return
    if checked.capacity < taken:
        raise UserError(
            f"HEIs have asked for {taken} of {offer.ref}'s places, so its capacity cannot go "
            f"below {taken}. Decline a request first (`placement requests {offer.ref}`)."
        )
    moved = (checked.start, checked.end, checked.draft.profession) != (
        offer.start_date,
        offer.end_date,
        offer.profession,
    )
    if moved:
        raise UserError(
            f"HEIs have asked for places on {offer.ref}, so its dates and profession are fixed. "
            "Withdraw it and post a new offer, or decline the requests first."
        )


async def save(
    ctx: Context, offer: PlacementOffer, action: str, before: dict[str, Any]
) -> PlacementOffer:
    if audit.snapshot(offer) == before:
        return offer  # nothing changed: no new version, no audit noise
    offer.updated_by_id = ctx.require_person().id
    offer.updated_at = await change_stamp(ctx)
    await ctx.session.flush()  # the mapper's version counter bumps `version` and guards races
    await ctx.session.refresh(offer)
    await events.announce(ctx, events.OfferChanged(offer.ref))
    audit.record(ctx, action, "placement_offer", offer.ref, before, audit.snapshot(offer))
    return offer


async def withdraw_offer(
    ctx: Context, ref: str, reason: str, expected_version: int | None = None
) -> PlacementOffer:
    offer = await get_offer(ctx, ref)
    require_manage_offer(ctx.require_person(), offer, "withdraw")
    if offer.status in (lifecycle.WITHDRAWN, lifecycle.DROPPED):
        return offer  # a second click changes nothing
    check_version(offer, expected_version)
    if offer.status in lifecycle.HELD:  # HEIs never saw it, so it leaves no trace for them
        await release.drop(ctx, offer, reason.strip() or "withdrawn while awaiting confirmation")
        return offer
    if not lifecycle.can_move(offer.status, lifecycle.WITHDRAWN):
        raise UserError(f"{offer.ref} is {offer.status}; it can no longer be withdrawn.")
    before = audit.snapshot(offer)
    await cancel_requests(ctx, offer, "the offer was withdrawn")  # before the offer turns dirty
    lifecycle.move(offer, lifecycle.WITHDRAWN)
    offer.status_reason = reason.strip()[:500] or None
    return await save(ctx, offer, "offer.withdraw", before)
