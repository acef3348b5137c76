"""A provider's teams, keyed by (provider, name): where they work and the professions they
place, so that offers and nudges find the right people."""

from __future__ import annotations

from collections.abc import Sequence

from bot.faculty import validate
from bot.faculty.changes import Change, settle
from bot.faculty.lookups import find_site, team_in
from bot.faculty.organisations import provider_for
from bot.kernel.context import Context
from bot.kernel.professions import join_codes
from storage.tables import Team


async def add_team(
    ctx: Context,
    organisation: str,
    name: str,
    site: str | None = None,
    professions: Sequence[str] | None = None,
) -> Change:
    """Add a team to a provider, or update its site and professions when they are given."""
    provider = await provider_for(ctx, organisation, "teams")
    name = validate.name(name, "team", "Stroke Rehabilitation")
    values: dict[str, object] = {"name": name}
    if site is not None:
        values["site_id"] = (await find_site(ctx, provider, site)).id
    if professions is not None:
        values["professions"] = join_codes(validate.profession_codes(professions))
    existing = await team_in(ctx, provider, name)
    new = Team(organisation_id=provider.id, **values)
    ref = f"{provider.ods_code}/{name}"
    team, outcome, changed = await settle(ctx, existing, new, values, "team", ref)
    detail = ", ".join("site" if key == "site_id" else key for key in changed)
    return Change(outcome, "team", f"{team.name} at {provider.name}", detail)
