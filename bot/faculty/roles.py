"""Role grants, keyed by (person, role, organisation): a coordinator speaks for a provider, an
HEI lead for an HEI; clinicians and faculty leads need no organisation."""

from __future__ import annotations

from bot.faculty import validate
from bot.faculty.callers import require_faculty_lead, typed
from bot.faculty.changes import Change, Outcome, settle
from bot.faculty.lookups import find_organisation, find_person, org_label
from bot.kernel import audit
from bot.kernel.context import Context
from bot.kernel.errors import UserError
from storage.tables import Organisation, Person, RoleGrant

NEEDS_KIND = {"coordinator": "provider", "hei_lead": "hei"}
_KIND_WORDS = {"provider": "a provider (a trust, council or other provider)", "hei": "an HEI"}
_A_ROLE = {"coordinator": "A coordinator", "hei_lead": "An HEI lead"}


def scope(
    role: str,
    organisation: Organisation | None,
    person: Person,
    command: str = "placebot role grant",
) -> Organisation | None:
    """The organisation a grant of `role` is held at: the one named, else the person's own (a
    faculty lead's is faculty-wide unless one is named). `command` is how the refusal's example
    is typed where the call came from."""
    chosen = organisation if role == "faculty_lead" else organisation or person.organisation
    kind = NEEDS_KIND.get(role)
    if kind is None:
        return chosen
    if chosen is None or chosen.kind != kind:
        given = f"{org_label(chosen)} is not {_KIND_WORDS[kind]}. " if chosen else ""
        raise UserError(
            f"{given}{_A_ROLE[role]} acts for {_KIND_WORDS[kind]}: name it, e.g. "
            f"`{command} {person.email or 'EMAIL'} {role} ORG`.",
            field="organisation",
        )
    return chosen


def _grant_of(person: Person, role: str, organisation: Organisation | None) -> RoleGrant | None:
    wanted = organisation.id if organisation else None
    return next((g for g in person.roles if g.role == role and g.organisation_id == wanted), None)


def _label(person: Person, role: str, organisation: Organisation | None) -> str:
    where = f" at {organisation.name}" if organisation else ""
    return f"{role} for {person.email}{where}"


def _ref(person: Person, role: str, organisation: Organisation | None) -> str:
    key = organisation and (organisation.ods_code or organisation.ukprn or organisation.name)
    return f"{person.email} {role} {key or ''}".strip()


async def give(
    ctx: Context, person: Person, role: str, organisation: Organisation | None
) -> Outcome:
    """Grant `role` at `organisation` (already scoped) to `person`, unless they hold it."""
    existing = _grant_of(person, role, organisation)
    new = RoleGrant(role=role, organisation_id=organisation.id if organisation else None)
    if existing is None:
        person.roles.append(new)
    _grant, outcome, _ = await settle(
        ctx, existing, new, {}, "role_grant", _ref(person, role, organisation)
    )
    return outcome


async def grant_role(
    ctx: Context, email: str, role: str, organisation: str | None = None
) -> Change:
    require_faculty_lead(ctx)
    person = await find_person(ctx, validate.email(email))
    role = validate.role(role)
    named = await find_organisation(ctx, organisation) if organisation else None
    at = scope(role, named, person, typed(ctx, "role grant"))
    outcome = await give(ctx, person, role, at)
    return Change(outcome, "role", _label(person, role, at))


async def revoke_role(
    ctx: Context, email: str, role: str, organisation: str | None = None
) -> Change:
    """Take a role away; without ORG, the person's one grant of that role."""
    require_faculty_lead(ctx)
    person = await find_person(ctx, validate.email(email))
    role = validate.role(role)
    held = [grant for grant in person.roles if grant.role == role]
    if organisation:
        named = await find_organisation(ctx, organisation)
        held = [grant for grant in held if grant.organisation_id == named.id]
    if len(held) > 1:
        raise UserError(
            f"{person.email} is a {role.replace('_', ' ')} at more than one organisation; say "
            f"which: `{typed(ctx, 'role revoke')} {person.email} {role} ORG`.",
            field="organisation",
        )
    if not held:
        return Change(Outcome.UNCHANGED, "role", f"{role} for {person.email} (not held)")
    grant = held[0]
    at = None
    if grant.organisation_id is not None:
        at = await ctx.session.get(Organisation, grant.organisation_id)
    audit.record(
        ctx, "role_grant.remove", "role_grant", _ref(person, role, at), audit.snapshot(grant), None
    )
    person.roles.remove(grant)
    await ctx.session.flush()
    return Change(Outcome.REMOVED, "role", _label(person, role, at))
