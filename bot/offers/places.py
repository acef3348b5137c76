"""Match a place typed as free text to a known team or site, when one is named in it.

One offer line asks this three times (its questions, the same-offer check, the post), so
the answer is kept on the session: one transaction, one reading of the teams and sites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import Person, Site, Team


@dataclass(frozen=True)
class Place:
    text: str
    team: Team | None
    site: Site | None

    @property
    def provider_id(self) -> int | None:
        if self.team is not None:
            return self.team.organisation_id
        return self.site.organisation_id if self.site is not None else None


def _mentions(text: str, name: str | None) -> bool:
    return (
        bool(name) and re.search(rf"(?<!\w){re.escape(name or '')}(?!\w)", text, re.I) is not None
    )


async def match_place(session: AsyncSession, text: str, person: Person) -> Place:
    """The team and site a place names; the person's own team when they typed no place."""
    known: dict[tuple[str, int, int | None, int | None], Place] = session.info.setdefault(
        "placebot.places", {}
    )
    key = (text, person.id, person.organisation_id, person.team_id)
    if key not in known:
        known[key] = await _match(session, text, person)
    return known[key]


async def _match(session: AsyncSession, text: str, person: Person) -> Place:
    if not text:
        team = person.team
        return Place(team.name if team else "", team, team.site if team else None)
    # Someone who belongs to a provider offers its places only; someone the bot has just met
    # may name any known team or site (the coordinator tidies what cannot be matched).
    teams_query, sites_query = select(Team), select(Site)
    if person.organisation_id is not None:
        teams_query = teams_query.where(Team.organisation_id == person.organisation_id)
        sites_query = sites_query.where(Site.organisation_id == person.organisation_id)
    teams = (await session.execute(teams_query)).unique().scalars().all()
    sites = (await session.execute(sites_query)).unique().scalars().all()
    named_sites = [s for s in sites if _mentions(text, s.name) or _mentions(text, s.ods_code)]
    named_teams = [t for t in teams if _mentions(text, t.name)]
    site = named_sites[0] if len(named_sites) == 1 else None
    if site is not None:
        named_teams = [t for t in named_teams if t.site_id in (None, site.id)]
    team = named_teams[0] if len(named_teams) == 1 else None
    if team is None and person.team is not None and _mentions(text, person.team.name):
        team = person.team
    if site is None and team is not None:
        site = team.site
    return Place(text, team, site)
