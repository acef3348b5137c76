"""People, keyed by work email: their name, organisation, team and professions, and the role
they are added with (a clinician unless told otherwise)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.faculty import validate
from bot.faculty.changes import Change, Outcome, settle
from bot.faculty.lookups import find_organisation, find_team, org_label, person_by_email
from bot.faculty.roles import give, scope
from bot.kernel.context import Context
from bot.kernel.professions import join_codes
from bot.people.directory import clean_name
from storage.tables import Organisation, Person

FIELD_NAMES = {"display_name": "name", "organisation_id": "organisation", "team_id": "team"}


async def add_person(
    ctx: Context,
    email: str,
    name: str,
    role: str | None = None,
    organisation: str | None = None,
    team: str | None = None,
    professions: Sequence[str] | None = None,
) -> Change:
    """Add a person by work email, or update the one with it; what is not given is kept."""
    email = validate.email(email)
    values: dict[str, object] = {
        "display_name": clean_name(validate.name(name, "person", "Jo Bloggs")),
        "email": email,
    }
    role = validate.role(role) if role is not None else None
    org = await find_organisation(ctx, organisation) if organisation else None
    if team is not None:
        found = await find_team(ctx, team, org)
        if org is None:
            org = await ctx.session.get(Organisation, found.organisation_id)
        values["team_id"] = found.id
    if org is not None:
        values["organisation_id"] = org.id
    if professions is not None:
        values["professions"] = join_codes(validate.profession_codes(professions))
    existing = await person_by_email(ctx, email)
    new = Person(created_at=ctx.clock.now(), roles=[], **values)
    # Check the role's scope before anything is stored, so a refusal leaves no half-made person.
    at = scope(role, org, existing or new) if role else None
    if role is None and existing is None:
        role, at = "clinician", org
    person, outcome, changed = await settle(ctx, existing, new, values, "person", email)
    labels = [FIELD_NAMES.get(key, key) for key in changed]
    if role is not None and await give(ctx, person, role, at) is Outcome.ADDED:
        if outcome is Outcome.UNCHANGED:
            outcome = Outcome.UPDATED
        if existing is not None:
            labels.append(f"role {role}" + (f" at {at.name}" if at else ""))
    where = f" ({org_label(org)})" if org else ""
    return Change(outcome, "person", f"{person.display_name} <{email}>{where}", ", ".join(labels))
