"""Whether a person speaks for the team or site an offer names, and joining them when the faculty
already vouches for them (their organisation, or their provider's own email domain).

A person the bot has just met may name any team; the register must not credit that team's
provider, count it against a block or stop its nudges on the person's word alone.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.faculty.validate import SHARED_EMAIL_DOMAINS
from bot.kernel import audit
from bot.kernel.context import Context
from bot.people.directory import has_role, work_email
from storage.tables import EmailDomain, Person, Team


def email_domain(address: str | None) -> str:
    """The part after the @ ("" for none), as compared."""
    _, at, domain = work_email(address).rpartition("@")
    return domain if at else ""


async def vouched_by_domain(ctx: Context, person: Person, provider_id: int) -> bool:
    """The person's work email is at one of the provider's own domains (or a subdomain of one).

    A person's email is only ever the one their platform reported or the faculty set up, never
    one they typed, so the domain is as good as the platform's directory.
    """
    domain = email_domain(person.email)
    if not domain or domain in SHARED_EMAIL_DOMAINS:
        return False
    candidates = [domain]
    parts = domain.split(".")
    candidates += [".".join(parts[i:]) for i in range(1, len(parts) - 1)]
    found = await ctx.session.scalar(
        select(EmailDomain.id).where(
            EmailDomain.organisation_id == provider_id, EmailDomain.domain.in_(candidates)
        )
    )
    return found is not None


def speaks_outright(person: Person, provider_id: int, team_id: int | None) -> bool:
    """A member of the team, staff of its provider, its coordinator or the faculty lead."""
    if has_role(person, "faculty_lead") or has_role(person, "coordinator", provider_id):
        return True
    if team_id is not None and person.team_id == team_id:
        return True
    return person.organisation_id == provider_id


async def speaks_for(
    ctx: Context, person: Person, provider_id: int | None, team: Team | None
) -> bool:
    """True when the person may offer for the place; someone their provider's email domain
    vouches for joins the provider (and the team, when they have none yet) on the way."""
    if provider_id is None:
        return True  # a place typed as free text credits nobody
    team_id = team.id if team is not None else None
    if speaks_outright(person, provider_id, team_id):
        if team is not None and person.team_id is None and person.organisation_id == provider_id:
            join(ctx, person, provider_id, team, "their organisation is the team's provider")
        return True
    if await vouched_by_domain(ctx, person, provider_id):
        join(ctx, person, provider_id, team, "their work email is at the provider's domain")
        return True
    return False


def join(ctx: Context, person: Person, provider_id: int, team: Team | None, why: str) -> None:
    """Make the person staff of the provider and, when named, a member of the team."""
    before = {"organisation_id": person.organisation_id, "team_id": person.team_id}
    person.organisation_id = provider_id
    if team is not None:
        person.team_id = team.id
    after = {"organisation_id": person.organisation_id, "team_id": person.team_id}
    if after != before:
        who = person.email or f"person {person.id}"
        audit.record(ctx, "membership.join", "person", who, before, {**after, "why": why})
