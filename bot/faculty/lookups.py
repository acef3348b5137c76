"""Finding set-up records the way people name them: an organisation by its name, ODS code or
UKPRN; a site or team by name within its organisation; a person by work email."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from bot.kernel.context import Context
from bot.kernel.errors import NotFound, UserError
from storage.tables import Organisation, Person, Site, Team


def kind_name(organisation: Organisation) -> str:
    return "HEI" if organisation.kind == "hei" else "provider"


def org_label(organisation: Organisation) -> str:
    key = f"UKPRN {organisation.ukprn}" if organisation.ukprn else organisation.ods_code
    return f"{organisation.name} ({key})" if key else organisation.name


async def organisation_named(ctx: Context, name: str) -> Organisation | None:
    return (
        await ctx.session.execute(
            select(Organisation).where(func.lower(Organisation.name) == name.lower())
        )
    ).scalar_one_or_none()


async def find_organisation(ctx: Context, wanted: str) -> Organisation:
    """The organisation named by `wanted`: its full name, ODS code or UKPRN."""
    text = " ".join(wanted.split())
    found = (
        (
            await ctx.session.execute(
                select(Organisation).where(
                    or_(
                        func.lower(Organisation.name) == text.lower(),
                        Organisation.ods_code == text.upper(),
                        Organisation.ukprn == text,
                    )
                )
            )
        )
        .scalars()
        .first()
    )
    if found is None:
        raise NotFound(
            f"There is no organisation “{text[:80]}”. Give its full name, ODS code or UKPRN, "
            "or add it first with `placebot org add hei` or `placebot org add provider`.",
            field="organisation",
        )
    return found


async def find_site(ctx: Context, organisation: Organisation, wanted: str) -> Site:
    """A site of `organisation`, by name or ODS site code."""
    text = " ".join(wanted.split())
    site = (
        (
            await ctx.session.execute(
                select(Site).where(
                    Site.organisation_id == organisation.id,
                    or_(func.lower(Site.name) == text.lower(), Site.ods_code == text.upper()),
                )
            )
        )
        .scalars()
        .first()
    )
    if site is None:
        raise NotFound(
            f"{organisation.name} has no site “{text[:80]}”. Add it first with "
            f'`placebot site add "{organisation.name}" "{text[:80]}"`.',
            field="site",
        )
    return site


async def team_in(ctx: Context, organisation: Organisation, name: str) -> Team | None:
    return (
        await ctx.session.execute(
            select(Team).where(
                Team.organisation_id == organisation.id, func.lower(Team.name) == name.lower()
            )
        )
    ).scalar_one_or_none()


async def find_team(ctx: Context, wanted: str, organisation: Organisation | None) -> Team:
    """A team by name, within `organisation` when given, else the one team of that name."""
    text = " ".join(wanted.split())
    query = select(Team).where(func.lower(Team.name) == text.lower())
    if organisation is not None:
        query = query.where(Team.organisation_id == organisation.id)
    teams = list((await ctx.session.execute(query)).scalars())
    if len(teams) > 1:
        raise UserError(
            f"More than one organisation has a team “{text[:80]}”; say which with "
            "--organisation ORG.",
            field="team",
        )
    if not teams:
        where = f"{organisation.name} has" if organisation else "There is"
        raise NotFound(
            f"{where} no team “{text[:80]}”. Add it first with `placebot team add ORG "
            f'"{text[:80]}"`.',
            field="team",
        )
    return teams[0]


async def person_by_email(ctx: Context, email: str) -> Person | None:
    """The person with this work email (stored lower-case), the first added if there are two."""
    return (
        (
            await ctx.session.execute(
                select(Person).where(func.lower(Person.email) == email).order_by(Person.id)
            )
        )
        .unique()
        .scalars()
        .first()
    )


async def find_person(ctx: Context, email: str) -> Person:
    person = await person_by_email(ctx, email)
    if person is None:
        raise NotFound(
            f"No one has the email {email}. Add them first with `placebot person add {email} "
            "--name NAME`.",
            field="email",
        )
    return person
