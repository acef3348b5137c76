"""The stored set-up as a faculty workbook, in the form the batch reads back unchanged: export
and then import reports nothing to change. People without a work email are not set-up records
(the bot met them on a platform) and are left out."""

from __future__ import annotations

from sqlalchemy import select

from bot.faculty.organisations import domains_of
from bot.faculty.sheets import (
    FACULTY_WIDE,
    ORGANISATIONS,
    PEOPLE,
    SITES,
    TARGETS,
    TEAMS,
    Row,
    Workbook,
)
from bot.kernel.context import Context
from bot.kernel.professions import split_codes
from storage.tables import Organisation, Person, Site, Target, Team


def _codes(stored: str) -> str:
    return ", ".join(split_codes(stored))


def _append(book: Workbook, sheet_name: str, cells: dict[str, str]) -> None:
    rows = book.rows[sheet_name]
    rows.append(Row(len(rows) + 2, cells))


async def snapshot(ctx: Context) -> Workbook:
    session = ctx.session
    book = Workbook()
    orgs = {
        o.id: o
        for o in (
            await session.execute(select(Organisation).order_by(Organisation.kind, Organisation.id))
        ).scalars()
    }
    for org in orgs.values():
        hei = org.kind == "hei"
        domains = [] if hei else await domains_of(ctx, org)
        _append(book, ORGANISATIONS.name, {
            "kind": org.kind,
            "name": org.name,
            "ukprn": org.ukprn or "",
            "ods_code": org.ods_code or "",
            "provider_type": org.provider_type or "",
            "professions": _codes(org.professions) if hei else "",
            "email_domains": ", ".join(domains),
        })  # fmt: skip
    sites = {s.id: s for s in (await session.execute(select(Site).order_by(Site.id))).scalars()}
    for site in sites.values():
        _append(book, SITES.name, {
            "organisation": orgs[site.organisation_id].name,
            "name": site.name,
            "ods_code": site.ods_code or "",
        })  # fmt: skip
    for team in (await session.execute(select(Team).order_by(Team.id))).unique().scalars():
        _append(book, TEAMS.name, {
            "organisation": orgs[team.organisation_id].name,
            "name": team.name,
            "site": sites[team.site_id].name if team.site_id else "",
            "professions": _codes(team.professions),
        })  # fmt: skip
    everyone = select(Person).where(Person.email.is_not(None)).order_by(Person.id)
    for person in (await session.execute(everyone)).unique().scalars():
        for role, role_at in _roles(person, orgs) or [("", "")]:
            _append(book, PEOPLE.name, {
                "email": person.email or "",
                "name": person.display_name,
                "role": role,
                "organisation": person.organisation.name if person.organisation else "",
                "team": person.team.name if person.team else "",
                "professions": _codes(person.professions),
                "role_at": role_at,
            })  # fmt: skip
    for target in (
        await session.execute(select(Target).order_by(Target.academic_year, Target.profession))
    ).scalars():
        _append(book, TARGETS.name, {
            "profession": target.profession,
            "academic_year": target.academic_year,
            "extra": str(target.extra_placements),
            "baseline": "" if target.baseline is None else str(target.baseline),
        })  # fmt: skip
    return book


def _roles(person: Person, orgs: dict[int, Organisation]) -> list[tuple[str, str]]:
    """Each role the person holds and where, blank where it is their own organisation."""
    held = []
    for grant in person.roles:
        if grant.organisation_id == person.organisation_id:
            at = ""
        elif grant.organisation_id is None:
            at = FACULTY_WIDE
        else:
            at = orgs[grant.organisation_id].name
        held.append((grant.role, at))
    return sorted(held, key=lambda pair: (pair[1] != "", pair))
