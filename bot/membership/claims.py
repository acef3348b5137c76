"""Claims to work in a team: asked when a non-member's offer names it (or by `placement join`),
decided once by the team's coordinator or the faculty lead, and what each decision releases.

A claim is one row per person and team (or provider, for a site with no team) while pending, so
a second held offer, or a second `join`, asks nobody again.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select

from bot.faculty import validate
from bot.faculty.changes import Change, Outcome
from bot.faculty.lookups import find_organisation, find_person, find_team
from bot.kernel import audit
from bot.kernel.context import Context
from bot.kernel.errors import NotAllowed, NotFound, UserError
from bot.membership import messages, release
from bot.membership.trust import join, speaks_outright, vouched_by_domain
from bot.people.directory import has_role
from storage.tables import MembershipClaim, Organisation, Person, PlacementOffer, Team

PENDING, CONFIRMED, DECLINED = "pending", "confirmed", "declined"


async def _standing(
    ctx: Context, person: Person, provider_id: int, team_id: int | None
) -> MembershipClaim | None:
    """The person's latest claim on this team (or provider), whatever its status."""
    return (
        (
            await ctx.session.execute(
                select(MembershipClaim)
                .where(
                    MembershipClaim.person_id == person.id,
                    MembershipClaim.organisation_id == provider_id,
                    MembershipClaim.team_id.is_(None)
                    if team_id is None
                    else MembershipClaim.team_id == team_id,
                )
                .order_by(MembershipClaim.id.desc())
                .limit(1)
            )
        )
        .unique()
        .scalar_one_or_none()
    )


class NamedPlace(Protocol):
    """A place an offer names (`bot.offers.places.Place`), as far as a claim needs it."""

    text: str
    team: Team | None

    @property
    def provider_id(self) -> int | None: ...


async def check_not_declined(ctx: Context, person: Person, place: NamedPlace) -> None:
    """Refuse, before anything is stored, an offer for a team that has said "not ours"."""
    if place.provider_id is None:
        return
    team_id = place.team.id if place.team is not None else None
    claim = await _standing(ctx, person, place.provider_id, team_id)
    refuse_if_declined(claim, place.team.name if place.team is not None else place.text)


def refuse_if_declined(claim: MembershipClaim | None, place: str) -> None:
    if claim is not None and claim.status == DECLINED:
        raise NotAllowed(
            f"{place}'s coordinator has said you are not a member there, so I cannot post for "
            f"{place}. If that is a mistake, speak to them or to your AHP faculty lead; or "
            "offer for your own team."
        )


async def ask(
    ctx: Context, provider: Organisation, team: Team | None, place: str, offer_ref: str | None
) -> MembershipClaim:
    """The person's pending claim to work at `team` (else `provider`), asked now if new: its
    approvers get one message with Confirm member and Not ours."""
    person = ctx.require_person()
    team_id = team.id if team is not None else None
    claim = await _standing(ctx, person, provider.id, team_id)
    refuse_if_declined(claim, place)
    if claim is not None and claim.status == PENDING:
        return claim
    claim = MembershipClaim(
        person_id=person.id,
        organisation_id=provider.id,
        team_id=team_id,
        place_text=place[:300],
        offer_ref=offer_ref,
        status=PENDING,
        asked_at=ctx.clock.now(),
    )
    ctx.session.add(claim)
    await ctx.session.flush()
    claim.person, claim.organisation, claim.team = person, provider, team
    audit.record(
        ctx, "membership.ask", "membership_claim", str(claim.id), None, audit.snapshot(claim)
    )
    await messages.ask_approvers(ctx, claim, await _held_offers(ctx, claim))
    return claim


async def _held_offers(ctx: Context, claim: MembershipClaim) -> list[PlacementOffer]:
    return await release.held_for(ctx, claim.person_id, claim.organisation_id, claim.team_id)


def may_decide(person: Person, claim: MembershipClaim) -> bool:
    return has_role(person, "faculty_lead") or has_role(
        person, "coordinator", claim.organisation_id
    )


async def claim_by_id(ctx: Context, value: str) -> MembershipClaim:
    """The claim, its row locked to the end of the transaction so that two presses decide once."""
    wanted = value.strip().lstrip("#")
    found = (
        await ctx.session.scalar(
            select(MembershipClaim.id).where(MembershipClaim.id == int(wanted)).with_for_update()
        )
        if wanted.isdigit() and len(wanted) < 10
        else None
    )
    if found is None:
        raise NotFound(f"There is no membership request #{value.strip()[:20]}.")
    claim = await ctx.session.get(MembershipClaim, found, populate_existing=True)
    assert claim is not None  # locked above
    return claim


async def decide(ctx: Context, value: str, confirm: bool) -> tuple[MembershipClaim, list[str]]:
    """Confirm (make them a member and release their held offers) or decline (drop them)."""
    decider = ctx.require_person()
    claim = await claim_by_id(ctx, value)
    if not may_decide(decider, claim):
        raise NotAllowed(
            f"Only {claim.organisation.name}'s practice-education coordinator or the AHP "
            "faculty lead can confirm who works there."
        )
    if claim.status != PENDING:
        raise UserError(
            f"{claim.person.display_name}'s request to join {claim.place_text} is "
            f"{claim.status} already; there is nothing more to do."
        )
    before = audit.snapshot(claim)
    claim.status = CONFIRMED if confirm else DECLINED
    claim.decided_at, claim.decided_by_id = ctx.clock.now(), decider.id
    person = claim.person
    if confirm:
        join(ctx, person, claim.organisation_id, claim.team, f"confirmed by person {decider.id}")
        refs = await release.release_held(ctx, person, claim.organisation_id, None)
        await _settle_siblings(ctx, claim)
    else:
        refs = await release.drop_held(
            ctx, person.id, claim.organisation_id, claim.team_id, "not ours"
        )
    audit.record(
        ctx, f"membership.{claim.status}", "membership_claim", str(claim.id), before,
        audit.snapshot(claim),
    )  # fmt: skip
    await messages.tell_claimant(ctx, claim, refs)
    return claim, refs


async def _settle_siblings(ctx: Context, claim: MembershipClaim) -> None:
    """Confirmed as the provider's staff, the person speaks for its other teams too: their other
    pending claims there are settled by the same decision."""
    others = await ctx.session.execute(
        select(MembershipClaim).where(
            MembershipClaim.person_id == claim.person_id,
            MembershipClaim.organisation_id == claim.organisation_id,
            MembershipClaim.status == PENDING,
            MembershipClaim.id != claim.id,
        )
    )
    for other in others.unique().scalars():
        other.status, other.decided_at = CONFIRMED, claim.decided_at
        other.decided_by_id = claim.decided_by_id


async def join_team(ctx: Context, team: Team) -> tuple[str, MembershipClaim | None]:
    """`placement join TEAM`: a member already, joined at once (vouched), or a claim asked."""
    person = ctx.require_person()
    if person.team_id == team.id:
        return "member", None
    provider = await ctx.session.get(Organisation, team.organisation_id)
    if provider is None:  # a team always has a provider; the foreign key says so
        raise NotFound(f"There is no team {team.name}.")
    if speaks_outright(person, provider.id, team.id):
        join(ctx, person, provider.id, team, "they speak for the team's provider")
        return "joined", None
    if await vouched_by_domain(ctx, person, provider.id):
        join(ctx, person, provider.id, team, "their work email is at the provider's domain")
        return "joined", None
    return "asked", await ask(ctx, provider, team, team.name, None)


async def faculty_confirms(
    ctx: Context, email: str, team_name: str, organisation: str | None
) -> tuple[Change, list[str]]:
    """`placebot team join TEAM EMAIL`: the faculty makes someone a member, settling any claim
    they have waiting there and releasing their held offers."""
    person = await find_person(ctx, validate.email(email))
    provider = await find_organisation(ctx, organisation) if organisation else None
    team = await find_team(ctx, team_name, provider)
    label = f"{person.email} in {team.name}"
    waiting = (
        (
            await ctx.session.execute(
                select(MembershipClaim).where(
                    MembershipClaim.person_id == person.id,
                    MembershipClaim.organisation_id == team.organisation_id,
                    MembershipClaim.status == PENDING,
                )
            )
        )
        .unique()
        .scalars()
        .all()
    )
    if person.team_id == team.id and not waiting:
        return Change(Outcome.UNCHANGED, "member", label), []
    join(ctx, person, team.organisation_id, team, "the faculty set it up")
    refs = await release.release_held(ctx, person, team.organisation_id, None)
    for claim in waiting:
        before = audit.snapshot(claim)
        claim.status, claim.decided_at = CONFIRMED, ctx.clock.now()
        audit.record(
            ctx, "membership.confirmed", "membership_claim", str(claim.id), before,
            audit.snapshot(claim),
        )  # fmt: skip
    if waiting:
        await messages.tell_claimant(ctx, waiting[0], refs)
    detail = f"released {', '.join(refs)}" if refs else ""
    return Change(Outcome.ADDED, "member", label, detail), refs
