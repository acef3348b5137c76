"""The messages a claim sends: one to its approvers (Confirm member / Not ours), one to the
person when it is decided. Both go through the outbox, so none lives only in memory."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select

from bot.delivery.recipients import reachable
from bot.delivery.tell import ForPerson, tell, tell_many
from bot.kernel.context import Context
from bot.kernel.date_display import show_range
from bot.kernel.messages import Button, Fact, Item, Reply
from bot.kernel.professions import profession_name
from bot.people.directory import faculty_leads
from storage.tables import MembershipClaim, PlacementOffer, RoleGrant

log = logging.getLogger(__name__)


def who(claim: MembershipClaim) -> str:
    person = claim.person
    return f"{person.display_name} ({person.email or 'no work email known'})"


def place_of(claim: MembershipClaim) -> str:
    if claim.team is not None:
        return f"{claim.team.name}, {claim.organisation.name}"
    return f"{claim.place_text} ({claim.organisation.name})"


def _held_item(offer: PlacementOffer) -> Item:
    return Item(
        title=f"{offer.ref} · {offer.profession} · held",
        facts=(
            Fact("Profession", profession_name(offer.profession)),
            Fact("Dates", show_range(offer.start_date, offer.end_date)),
            Fact("Students", str(offer.capacity)),
            Fact("Place", offer.place_text),
        ),
    )


def approval_request(claim: MembershipClaim, held: Sequence[PlacementOffer]) -> Reply:
    """What the coordinator (else the faculty lead) is asked: one message per claim."""
    refs = ", ".join(offer.ref for offer in held)
    posted = f" and posted {refs}" if refs else ""
    text = (
        f"{who(claim)} says they work in {place_of(claim)}{posted}. Until you confirm them, "
        "HEIs do not see their offers and nothing is credited to the team."
    )
    return Reply(
        text=text,
        items=tuple(_held_item(offer) for offer in held[:10]),
        buttons=(
            Button("Confirm member", "membership.confirm", str(claim.id), style="primary"),
            Button("Not ours", "membership.decline", str(claim.id), style="danger"),
        ),
    )


async def approvers(ctx: Context, provider_id: int) -> list[int]:
    """The provider's coordinators that a channel reaches, else the faculty leads."""
    coordinators = set(
        (
            await ctx.session.execute(
                select(RoleGrant.person_id).where(
                    RoleGrant.role == "coordinator", RoleGrant.organisation_id == provider_id
                )
            )
        ).scalars()
    )
    found = await reachable(ctx.session, coordinators)
    if not found:
        found = await reachable(ctx.session, {lead.id for lead in await faculty_leads(ctx.session)})
    return sorted(found)


async def ask_approvers(
    ctx: Context, claim: MembershipClaim, held: Sequence[PlacementOffer]
) -> None:
    reply = approval_request(claim, held)
    people = await approvers(ctx, claim.organisation_id)
    if not people:
        log.warning("nobody reachable can confirm membership claim %s", claim.id)
        return
    await tell_many(
        ctx.session,
        [ForPerson(person, reply, f"membership:{claim.id}:ask:{person}") for person in people],
        ctx.clock.now(),
    )


def decision_for_claimant(claim: MembershipClaim, refs: Sequence[str]) -> Reply:
    place = place_of(claim)
    listed = ", ".join(refs)
    if claim.status == "confirmed":
        text = f"You are now a member of {place}."
        if listed:
            text += (
                f" {listed} {'is' if len(refs) == 1 else 'are'} in the register for HEIs to see."
            )
        return Reply(text=text, tone="success")
    text = (
        f"{place} could not confirm that you work there, so I have not put your offer in the "
        "register"
        if refs
        else f"{place} could not confirm that you work there"
    )
    text += (
        f"{' (' + listed + ')' if listed else ''}. If that is a mistake, speak to the team's "
        "practice-education coordinator or your AHP faculty lead; thank you for offering."
    )
    return Reply(text=text)


async def tell_claimant(ctx: Context, claim: MembershipClaim, refs: Sequence[str]) -> None:
    reply = decision_for_claimant(claim, refs)
    told = await tell(
        ctx.session,
        claim.person_id,
        reply,
        f"membership:{claim.id}:{claim.status}",
        ctx.clock.now(),
    )
    if not told.reached:
        log.warning("no channel reaches person %s about claim %s", claim.person_id, claim.id)
