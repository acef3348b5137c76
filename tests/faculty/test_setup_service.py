"""Faculty set-up, one call per change: each adds, leaves alone or updates by its natural key,
refuses bad input politely (saying how to fix it) with nothing stored, and audits as the CLI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.faculty import organisations, people, roles, targets, teams
from bot.faculty.changes import Change, Outcome
from bot.kernel.clock import FixedClock
from bot.kernel.context import Context
from bot.kernel.errors import UserError
from config.settings import Settings
from storage.engine import make_sessionmaker
from storage.tables import (
    AuditEvent,
    EmailDomain,
    Organisation,
    Person,
    RoleGrant,
    Site,
    Target,
    Team,
)

TABLES = (Organisation, EmailDomain, Site, Team, Person, RoleGrant, Target, AuditEvent)

Call = Callable[..., Awaitable[Change]]


class Setup:
    """Runs one set-up call in its own transaction, as `placebot` does; reads rows back."""

    def __init__(self, engine: AsyncEngine, settings: Settings, clock: FixedClock) -> None:
        self.sessions = make_sessionmaker(engine)
        self.settings = settings
        self.clock = clock

    async def __call__(self, call: Call, *args: Any, **kwargs: Any) -> Change:
        async with self.sessions.begin() as session:
            ctx = Context(session, None, self.clock, self.settings, "cli")
            return await call(ctx, *args, **kwargs)

    async def refused(self, call: Call, *args: Any, **kwargs: Any) -> str:
        """The message of a refusal, after checking it stored nothing at all."""
        before = await self.counts()
        with pytest.raises(UserError) as raised:
            await self(call, *args, **kwargs)
        assert await self.counts() == before
        return raised.value.message

    async def counts(self) -> dict[str, int]:
        async with self.sessions() as session:
            return {
                table.__tablename__: (
                    await session.execute(select(func.count()).select_from(table))
                ).scalar_one()
                for table in TABLES
            }

    async def rows(self, table: type, *where: Any) -> list[Any]:
        async with self.sessions() as session:
            result = await session.execute(select(table).where(*where).order_by(table.id))
            return list(result.unique().scalars())

    async def audit(self) -> list[tuple[str, str, str, int | None]]:
        return [
            (event.edge, event.action, event.entity_ref, event.actor_id)
            for event in await self.rows(AuditEvent)
        ]


@pytest.fixture
def setup(engine: AsyncEngine, settings: Settings, clock: FixedClock) -> Setup:
    return Setup(engine, settings, clock)


async def trust(setup: Setup) -> None:
    await setup(
        organisations.add_provider,
        "Leeds Teaching Hospitals NHS Trust",
        "rr8",
        "nhs_trust",
        ["@leedsth.nhs.uk"],
    )


async def faculty(setup: Setup) -> None:
    """An HEI, a trust with a site and a team, on which people are added."""
    await setup(organisations.add_hei, "University of Leeds", "10007795", ["PT", "OT"])
    await trust(setup)
    await setup(organisations.add_site, "RR8", "St James's University Hospital", "RR813")
    await setup(teams.add_team, "RR8", "Stroke Rehab", "RR813", ["physio"])


# HEIs


async def test_an_hei_is_added_then_unchanged_then_updated_by_ukprn(setup: Setup) -> None:
    added = await setup(organisations.add_hei, "University of Leeds", "10007795", ["physio", "OT"])
    assert added.outcome is Outcome.ADDED
    assert added.line() == "Added HEI University of Leeds (UKPRN 10007795)."
    again = await setup(organisations.add_hei, "University of Leeds", " 10007795", ["OT", "PT"])
    assert again.outcome is Outcome.UNCHANGED
    renamed = await setup(organisations.add_hei, "The University of Leeds", "10007795", ["SLT"])
    assert renamed.outcome is Outcome.UPDATED
    assert renamed.line() == (
        "Updated HEI The University of Leeds (UKPRN 10007795): name, professions."
    )
    [hei] = await setup.rows(Organisation)
    assert (hei.kind, hei.name, hei.ukprn, hei.professions) == (
        "hei",
        "The University of Leeds",
        "10007795",
        ",SLT,",
    )
    kept = await setup(organisations.add_hei, "The University of Leeds", "10007795")
    assert kept.outcome is Outcome.UNCHANGED  # professions not given: kept
    assert await setup.audit() == [
        ("cli", "organisation.add", "10007795", None),
        ("cli", "organisation.update", "10007795", None),
    ]
    events = await setup.rows(AuditEvent)
    assert events[1].before["name"] == "University of Leeds"
    assert events[1].after["name"] == "The University of Leeds"


@pytest.mark.parametrize(
    ("name", "ukprn", "found", "says"),
    [
        ("University of Leeds", "1000779", None, "8 digits starting with 1, e.g. 10007795"),
        ("University of Leeds", "20007795", None, "8 digits starting with 1"),
        ("University of Leeds", "10007795", ["PT", "astrology"], "Use a code or a name: PT"),
        ("  ", "10007795", None, "Please give the HEI's name"),
    ],
)
async def test_a_bad_hei_is_refused_saying_how_to_fix_it(
    setup: Setup, name: str, ukprn: str, found: list[str] | None, says: str
) -> None:
    assert says in await setup.refused(organisations.add_hei, name, ukprn, found)


async def test_two_organisations_cannot_share_a_name(setup: Setup) -> None:
    await setup(organisations.add_hei, "University of Leeds", "10007795")
    message = await setup.refused(organisations.add_hei, "university of leeds", "10007796")
    assert "already has the name" in message and "full registered name" in message
    message = await setup.refused(
        organisations.add_provider, "University of Leeds", "RR8", "nhs_trust"
    )
    assert "University of Leeds (UKPRN 10007795) already has the name" in message


# Providers


async def test_a_provider_is_added_with_its_domains_then_updated_by_ods_code(
    setup: Setup,
) -> None:
    added = await setup(
        organisations.add_provider,
        "Leeds Teaching Hospitals NHS Trust",
        "rr8",
        "NHS trust",
        ["@LeedsTH.nhs.uk"],
    )
    assert added.line() == "Added provider Leeds Teaching Hospitals NHS Trust (RR8): email domains."
    [provider] = await setup.rows(Organisation)
    assert (provider.kind, provider.ods_code, provider.provider_type) == (
        "provider",
        "RR8",
        "nhs_trust",
    )
    assert [d.domain for d in await setup.rows(EmailDomain)] == ["leedsth.nhs.uk"]
    again = await setup(
        organisations.add_provider,
        "Leeds Teaching Hospitals NHS Trust",
        "RR8",
        "nhs_trust",
        ["leedsth.nhs.uk"],
    )
    assert again.outcome is Outcome.UNCHANGED
    changed = await setup(
        organisations.add_provider,
        "Leeds Teaching Hospitals NHS Trust",
        "RR8",
        "independent",
        ["leeds.nhs.uk", "lth.example.org"],
    )
    assert changed.outcome is Outcome.UPDATED
    assert changed.detail == "type, email domains"
    assert sorted(d.domain for d in await setup.rows(EmailDomain)) == [
        "leeds.nhs.uk",
        "lth.example.org",
    ]
    kept = await setup(
        organisations.add_provider, "Leeds Teaching Hospitals NHS Trust", "RR8", "independent"
    )
    assert kept.outcome is Outcome.UNCHANGED  # domains not given: kept
    assert len(await setup.rows(EmailDomain)) == 2
    assert [action for _edge, action, _ref, _by in await setup.audit()] == [
        "organisation.add",
        "organisation.email_domains",
        "organisation.update",
        "organisation.email_domains",
    ]
    assert {edge for edge, *_ in await setup.audit()} == {"cli"}


@pytest.mark.parametrize(
    ("ods", "kind", "domains", "says"),
    [
        ("R!8", "nhs_trust", None, "3 to 6 letters and digits, e.g. RGT"),
        ("RR8ABCD", "nhs_trust", None, "is not an ODS code"),
        ("RR8", "charity", None, "use one of nhs_trust, local_authority, independent, voluntary"),
        ("RR8", "nhs_trust", ["nhs.net"], "nhs.net is shared by staff of many organisations"),
        ("RR8", "nhs_trust", ["@gmail.com"], "cannot identify one provider"),
        ("RR8", "nhs_trust", ["not a domain"], "give the part after the @, e.g. nuh.nhs.uk"),
    ],
)
async def test_a_bad_provider_is_refused_saying_how_to_fix_it(
    setup: Setup, ods: str, kind: str, domains: list[str] | None, says: str
) -> None:
    assert says in await setup.refused(
        organisations.add_provider, "Leeds Teaching Hospitals", ods, kind, domains
    )


async def test_a_domain_identifies_only_one_provider(setup: Setup) -> None:
    await trust(setup)
    message = await setup.refused(
        organisations.add_provider, "Leeds City Council", "00CX", "local_authority",
        ["leedsth.nhs.uk"],
    )  # fmt: skip
    assert "already identifies Leeds Teaching Hospitals NHS Trust (RR8)" in message


# Sites


async def test_a_site_is_found_by_its_code_or_name_within_its_provider(setup: Setup) -> None:
    await setup(organisations.add_hei, "University of Leeds", "10007795")
    await trust(setup)
    added = await setup(organisations.add_site, "Leeds Teaching Hospitals NHS Trust", "LGI")
    assert added.line() == "Added site LGI at Leeds Teaching Hospitals NHS Trust."
    coded = await setup(organisations.add_site, "rr8", "lgi", "rr813")
    assert coded.outcome is Outcome.UPDATED and coded.detail == "name, ODS code"
    renamed = await setup(organisations.add_site, "RR8", "Leeds General Infirmary", "RR813")
    assert renamed.line() == (
        "Updated site Leeds General Infirmary (RR813) at Leeds Teaching Hospitals NHS Trust: name."
    )
    again = await setup(organisations.add_site, "RR8", "Leeds General Infirmary", "RR813")
    assert again.outcome is Outcome.UNCHANGED
    [site] = await setup.rows(Site)
    assert (site.name, site.ods_code) == ("Leeds General Infirmary", "RR813")
    assert [(action, ref) for _edge, action, ref, _by in await setup.audit()][3:] == [
        ("site.add", "RR8/LGI"),
        ("site.update", "RR813"),
        ("site.update", "RR813"),
    ]


async def test_a_bad_site_is_refused(setup: Setup) -> None:
    await setup(organisations.add_hei, "University of Leeds", "10007795")
    await trust(setup)
    assert "or add it first with `placebot org add" in await setup.refused(
        organisations.add_site, "Nowhere Trust", "LGI"
    )
    assert "sites belong to placement providers" in await setup.refused(
        organisations.add_site, "10007795", "Campus"
    )
    assert "is not an ODS site code" in await setup.refused(
        organisations.add_site, "RR8", "LGI", "R-1"
    )
    await setup(organisations.add_site, "RR8", "LGI", "RR813")
    await setup(organisations.add_provider, "Leeds City Council", "00CX", "local_authority")
    assert "already a site of another provider" in await setup.refused(
        organisations.add_site, "00CX", "Civic Hall", "RR813"
    )


# Teams


async def test_a_team_is_added_then_updated_by_provider_and_name(setup: Setup) -> None:
    await trust(setup)
    await setup(organisations.add_site, "RR8", "St James's University Hospital", "RR813")
    added = await setup(teams.add_team, "RR8", "Stroke Rehab", "RR813", ["physio", "OT"])
    assert added.line() == "Added team Stroke Rehab at Leeds Teaching Hospitals NHS Trust."
    assert (await setup(teams.add_team, "RR8", "stroke rehab")).outcome is Outcome.UPDATED
    again = await setup(teams.add_team, "RR8", "stroke rehab", "St James's University Hospital")
    assert again.outcome is Outcome.UNCHANGED
    moved = await setup(teams.add_team, "RR8", "stroke rehab", None, ["SLT"])
    assert moved.detail == "professions"
    [team] = await setup.rows(Team)
    [site] = await setup.rows(Site)
    assert (team.name, team.site_id, team.professions) == ("stroke rehab", site.id, ",SLT,")
    assert [a for _e, a, _r, _b in await setup.audit()][-3:] == [
        "team.add",
        "team.update",
        "team.update",
    ]


async def test_a_team_on_a_missing_site_is_refused(setup: Setup) -> None:
    await trust(setup)
    message = await setup.refused(teams.add_team, "RR8", "Stroke Rehab", "Nowhere General")
    assert "has no site “Nowhere General”" in message and "placebot site add" in message
    assert "Use a code or a name" in await setup.refused(
        teams.add_team, "RR8", "Stroke Rehab", None, ["juggling"]
    )


# People and roles


async def test_a_person_is_added_by_email_then_updated(setup: Setup) -> None:
    await faculty(setup)
    added = await setup(
        people.add_person,
        "Jo.Bloggs@LeedsTH.nhs.uk",
        "Jo Bloggs",
        None,
        None,
        "Stroke Rehab",
        ["PT"],
    )
    assert added.line() == (
        "Added person Jo Bloggs <jo.bloggs@leedsth.nhs.uk> (Leeds Teaching Hospitals NHS Trust "
        "(RR8))."
    )
    [person] = await setup.rows(Person)
    [team] = await setup.rows(Team)
    assert (person.email, person.team_id, person.professions) == (
        "jo.bloggs@leedsth.nhs.uk",
        team.id,
        ",PT,",
    )
    assert [(g.role, g.organisation_id) for g in person.roles] == [
        ("clinician", person.organisation_id)
    ]
    again = await setup(people.add_person, "jo.bloggs@leedsth.nhs.uk", "Jo Bloggs")
    assert again.outcome is Outcome.UNCHANGED
    promoted = await setup(
        people.add_person, "jo.bloggs@leedsth.nhs.uk", "Jo Bloggs-Smith", "coordinator"
    )
    assert promoted.outcome is Outcome.UPDATED
    assert promoted.detail == "name, role coordinator at Leeds Teaching Hospitals NHS Trust"
    [person] = await setup.rows(Person)
    assert sorted(g.role for g in person.roles) == ["clinician", "coordinator"]
    assert [a for _e, a, _r, _b in await setup.audit()][-4:] == [
        "person.add",
        "role_grant.add",
        "person.update",
        "role_grant.add",
    ]


@pytest.mark.parametrize(
    ("email", "role", "organisation", "team", "says"),
    [
        ("jo.bloggs", None, None, None, "not an email address; give a work address"),
        ("jo@leedsth.nhs.uk", "boss", None, None, "use one of clinician, coordinator"),
        ("jo@leedsth.nhs.uk", "coordinator", "10007795", None, "is not a provider"),
        ("jo@leedsth.nhs.uk", "hei_lead", None, None, "acts for an HEI: name it"),
        ("jo@leedsth.nhs.uk", None, "Nowhere", None, "no organisation “Nowhere”"),
        ("jo@leedsth.nhs.uk", None, None, "Ward 99", "no team “Ward 99”. Add it first"),
    ],
)
async def test_a_bad_person_is_refused_and_nothing_is_stored(
    setup: Setup, email: str, role: str | None, organisation: str | None, team: str | None,
    says: str,
) -> None:  # fmt: skip
    await faculty(setup)
    assert says in await setup.refused(people.add_person, email, "Jo", role, organisation, team)


async def test_roles_are_granted_once_and_revoked(setup: Setup) -> None:
    await faculty(setup)
    await setup(people.add_person, "lead@leeds.ac.uk", "Sam Lead", None, "10007795")
    granted = await setup(roles.grant_role, "LEAD@leeds.ac.uk", "HEI lead")
    assert granted.line() == "Added role hei_lead for lead@leeds.ac.uk at University of Leeds."
    assert (await setup(roles.grant_role, "lead@leeds.ac.uk", "hei_lead")).outcome is (
        Outcome.UNCHANGED
    )
    faculty_lead = await setup(roles.grant_role, "lead@leeds.ac.uk", "faculty_lead")
    assert faculty_lead.line() == "Added role faculty_lead for lead@leeds.ac.uk."
    revoked = await setup(roles.revoke_role, "lead@leeds.ac.uk", "hei_lead", "University of Leeds")
    assert revoked.line() == "Removed role hei_lead for lead@leeds.ac.uk at University of Leeds."
    again = await setup(roles.revoke_role, "lead@leeds.ac.uk", "hei_lead")
    assert again.outcome is Outcome.UNCHANGED
    [person] = await setup.rows(Person)
    assert sorted(g.role for g in person.roles) == ["clinician", "faculty_lead"]
    events = [(a, r) for _e, a, r, _b in await setup.audit()][-4:]
    assert events == [
        ("role_grant.add", "lead@leeds.ac.uk clinician 10007795"),
        ("role_grant.add", "lead@leeds.ac.uk hei_lead 10007795"),
        ("role_grant.add", "lead@leeds.ac.uk faculty_lead"),
        ("role_grant.remove", "lead@leeds.ac.uk hei_lead 10007795"),
    ]


async def test_a_bad_role_change_is_refused(setup: Setup) -> None:
    await faculty(setup)
    await setup(people.add_person, "jo@leedsth.nhs.uk", "Jo", "coordinator", "RR8")
    assert "placebot person add nobody@leedsth.nhs.uk --name NAME" in await setup.refused(
        roles.grant_role, "nobody@leedsth.nhs.uk", "coordinator", "RR8"
    )
    assert "University of Leeds (UKPRN 10007795) is not a provider" in await setup.refused(
        roles.grant_role, "jo@leedsth.nhs.uk", "coordinator", "University of Leeds"
    )
    assert "is not an HEI" in await setup.refused(roles.grant_role, "jo@leedsth.nhs.uk", "hei_lead")
    await setup(organisations.add_provider, "Leeds City Council", "00CX", "local_authority")
    await setup(roles.grant_role, "jo@leedsth.nhs.uk", "coordinator", "00CX")
    assert "more than one organisation; say which" in await setup.refused(
        roles.revoke_role, "jo@leedsth.nhs.uk", "coordinator"
    )


# Targets


async def test_a_target_is_set_then_unchanged_then_updated(setup: Setup) -> None:
    added = await setup(targets.set_target, "physio", "2026/27", 39, 120)
    assert added.line() == "Added target Physiotherapy (PT) 2026/27: 39 extra on a baseline of 120."
    for year in ("2026-27", "2026", "2026/2027"):
        assert (await setup(targets.set_target, "PT", year, "39", 120)).outcome is (
            Outcome.UNCHANGED
        )
    kept = await setup(targets.set_target, "PT", "2026/27", 45)
    assert kept.line() == (
        "Updated target Physiotherapy (PT) 2026/27: 45 extra on a baseline of 120: "
        "extra placements."
    )
    await setup(targets.set_target, "OT", "2027", 0)
    rows = [(t.profession, t.academic_year, t.extra_placements, t.baseline) for t in
            await setup.rows(Target)]  # fmt: skip
    assert rows == [("PT", "2026/27", 45, 120), ("OT", "2027/28", 0, None)]
    assert await setup.audit() == [
        ("cli", "target.add", "PT 2026/27", None),
        ("cli", "target.update", "PT 2026/27", None),
        ("cli", "target.add", "OT 2027/28", None),
    ]


@pytest.mark.parametrize(
    ("profession", "year", "extra", "baseline", "says"),
    [
        ("astrology", "2026/27", 1, None, "I don't know the profession"),
        ("PT", "2026/28", 1, None, "write it as 2026/27 (September 2026 to August 2027)"),
        ("PT", "next year", 1, None, "is not an academic year"),
        ("PT", "2026/27", -1, None, "give a whole number, 0 or more"),
        ("PT", "2026/27", "lots", None, "is not a number of extra placements"),
        ("PT", "2026/27", 3, -5, "is not a number of baseline placements"),
    ],
)
async def test_a_bad_target_is_refused(
    setup: Setup, profession: str, year: str, extra: Any, baseline: Any, says: str
) -> None:
    assert says in await setup.refused(targets.set_target, profession, year, extra, baseline)
