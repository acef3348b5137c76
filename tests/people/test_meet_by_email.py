"""Someone set up by work email is recognised the first time they speak on Slack or Teams, by
the email the platform vouches for; never by an address a user could type."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.kernel.clock import FixedClock
from bot.kernel.messages import Actor
from bot.people.cache import KnownPeople
from bot.people.directory import has_role, meet
from storage.tables import Identity, Person
from tests.support.builder import SLACK_TEAM, Builder

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
EMAIL = "jo.lead@derby.example"


def slack(user: str = "U0LEAD", email: str | None = EMAIL) -> Actor:
    return Actor("slack", user, SLACK_TEAM, "Jo from Slack", email)


def teams(user: str = "aad-jo", email: str | None = EMAIL) -> Actor:
    return Actor("teams", user, TENANT, "Jo from Teams", email)


async def met(build: Builder, clock: FixedClock, actor: Actor, known: KnownPeople | None = None):
    async with build.sessions.begin() as session:
        return await meet(session, actor, clock, known)


async def lead(build: Builder, email: str = EMAIL) -> Person:
    """An HEI lead set up by email (reachable in the local chat only)."""
    hei = await build.hei("University of Derby", ("PT",))
    return await build.person("Jo Lead", "hei_lead", organisation=hei, email=email)


async def identities(build: Builder, person: Person) -> set[tuple[str, str, str]]:
    async with build.sessions() as session:
        rows = await session.execute(
            select(Identity.platform, Identity.tenant, Identity.external_id).where(
                Identity.person_id == person.id
            )
        )
        return {tuple(row) for row in rows}  # type: ignore[misc]


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


@pytest.mark.parametrize("actor", [slack(), teams()], ids=["slack", "teams"])
async def test_a_person_set_up_by_email_becomes_the_user_with_that_email(
    build: Builder, clock: FixedClock, actor: Actor
) -> None:
    jo = await lead(build)
    person = await met(build, clock, actor)
    assert person.id == jo.id
    assert person.display_name == "Jo Lead"  # as set up, not as the platform shows them
    assert has_role(person, "hei_lead", jo.organisation_id)
    assert not has_role(person, "clinician")
    assert person.organisation is not None and person.organisation.name == "University of Derby"
    assert (actor.platform, actor.tenant, actor.external_id) in await identities(build, jo)
    assert (await met(build, clock, actor)).id == jo.id  # known by the identity from now on


async def test_their_team_comes_with_them(build: Builder, clock: FixedClock) -> None:
    trust = await build.provider("City Hospitals Trust", ods="RX1")
    ward = await build.team(trust, "Stroke Rehab", ("PT",))
    coordinator = await build.person(
        "Sam Coordinator", "coordinator", organisation=trust, team=ward, email="sam@city.example"
    )
    person = await met(build, clock, teams("aad-sam", "sam@city.example"))
    assert person.id == coordinator.id
    assert person.team is not None and person.team.name == "Stroke Rehab"
    assert has_role(person, "coordinator", trust.id)


async def test_email_matching_ignores_case_and_spaces(build: Builder, clock: FixedClock) -> None:
    jo = await lead(build, email="  Jo.Lead@Derby.Example ")
    person = await met(build, clock, slack(email="JO.LEAD@derby.EXAMPLE "))
    assert person.id == jo.id


@pytest.mark.parametrize("platform", ["local", "email", "api", "cli"])
async def test_an_address_a_user_could_type_is_never_matched(
    build: Builder, clock: FixedClock, platform: str
) -> None:
    jo = await lead(build)
    person = await met(build, clock, Actor(platform, "someone", "", "Not Jo", EMAIL))
    assert person.id != jo.id
    assert [grant.role for grant in person.roles] == ["clinician"]
    assert (platform, "", "someone") not in await identities(build, jo)


async def test_a_second_user_with_the_same_email_is_a_new_clinician(
    build: Builder, clock: FixedClock
) -> None:
    jo = await lead(build)
    assert (await met(build, clock, slack("U0LEAD"))).id == jo.id
    other = await met(build, clock, slack("U0OTHER"))
    assert other.id != jo.id
    assert [grant.role for grant in other.roles] == ["clinician"]
    assert other.organisation_id is None
    assert (await met(build, clock, slack("U0LEAD"))).id == jo.id
    # On Teams, Jo has no identity yet: the first Teams user with the address is Jo.
    assert (await met(build, clock, teams())).id == jo.id


async def test_a_user_without_an_email_or_with_an_unknown_one_is_a_new_clinician(
    build: Builder, clock: FixedClock
) -> None:
    jo = await lead(build)
    for actor in (slack("U01", None), slack("U02", ""), slack("U03", "nobody@derby.example")):
        person = await met(build, clock, actor)
        assert person.id != jo.id
        assert person.email == (actor.email or None)
        assert [grant.role for grant in person.roles] == ["clinician"]


async def test_two_new_users_with_one_email_at_once_make_one_lead(
    build: Builder, clock: FixedClock
) -> None:
    jo = await lead(build)
    first, second = await asyncio.gather(
        met(build, clock, slack("U0LEAD")), met(build, clock, slack("U0TWIN"))
    )
    assert sorted([first.id == jo.id, second.id == jo.id]) == [False, True]
    slack_ids = {i for i in await identities(build, jo) if i[0] == "slack"}
    assert len(slack_ids) == 1


async def test_a_twin_delivery_of_a_newcomer_attaches_them_once(
    build: Builder, clock: FixedClock
) -> None:
    jo = await lead(build)
    first, second = await asyncio.gather(met(build, clock, slack()), met(build, clock, slack()))
    assert first.id == second.id == jo.id
    assert {i for i in await identities(build, jo) if i[0] == "slack"} == {
        ("slack", SLACK_TEAM, "U0LEAD")
    }


async def test_the_memory_of_people_stays_right(build: Builder, clock: FixedClock) -> None:
    jo = await lead(build)
    known = KnownPeople()
    local = Actor("local", "Jo Lead")
    assert (await met(build, clock, local, known)).id == jo.id
    assert known.get(local) is not None
    assert (await met(build, clock, slack(), known)).id == jo.id
    assert known.get(local) is None  # the new identity made every remembered copy stale
    again = await met(build, clock, slack(), known)  # by the identity, and remembered
    assert known.get(slack()) is not None
    remembered = await met(build, clock, slack(), known)
    assert remembered.id == again.id == jo.id
    assert has_role(remembered, "hei_lead", jo.organisation_id)
    other = await met(build, clock, slack("U0OTHER"), known)
    assert known.get(slack()) is None
    assert (await met(build, clock, slack("U0OTHER"), known)).id == other.id != jo.id
    assert (await met(build, clock, slack(), known)).id == jo.id


async def test_someone_already_met_costs_one_query_whatever_their_email(
    build: Builder, clock: FixedClock, engine: AsyncEngine
) -> None:
    jo = await lead(build)
    await met(build, clock, slack())
    async with build.sessions.begin() as session:
        with statements(engine) as seen:
            person = await meet(session, slack(), clock)
    assert person.id == jo.id
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) == 1
