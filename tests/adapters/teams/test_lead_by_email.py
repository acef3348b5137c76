"""An HEI lead set up by work email adds a block from Teams the first time they speak there, known
by the member record the Bot Connector gives; a stranger's same command stores no block."""

from __future__ import annotations

import logging

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from adapters.teams import app as teams_app
from adapters.teams.app import TEAMS_EDGE
from bot.chat.placebot import PlaceBot
from storage.tables import ConversationReference, Identity, Person, PlacementBlock
from tests.conftest import bearer, make_token
from tests.support import teams_wire as wire
from tests.support.builder import Builder
from tests.support.teams_rig import TeamsRig

BLOCK = "placement block add PT year 2 block 2 13 Jan - 21 Feb 2027 12 students close 1 Dec"
DERBY = "University of Derby"
JO = 2  # the wire's second user


async def derby_lead(build: Builder) -> Person:
    hei = await build.hei(DERBY, ("PT", "OT"), ukprn="10007851")
    return await build.person(
        "Jo Lead", "hei_lead", organisation=hei, email="jo.lead@derby.example", reachable=False
    )


async def blocks_for(client: TestClient, secret: str) -> list[dict]:
    response = await client.get("/api/v1/blocks", headers=bearer(secret))
    assert response.status == 200, await response.text()
    return (await response.json())["items"]


async def teams_person(bot: PlaceBot, n: int) -> Person:
    async with bot.sessions() as session:
        return (
            (
                await session.execute(
                    select(Person)
                    .join(Identity, Identity.person_id == Person.id)
                    .where(
                        Identity.platform == "teams",
                        Identity.external_id == wire.user(n)["aadObjectId"],
                    )
                )
            )
            .unique()
            .scalar_one()
        )


async def test_an_hei_lead_added_by_email_adds_a_block_from_teams(
    teams_rig: TeamsRig, bot: PlaceBot, build: Builder
) -> None:
    jo = await derby_lead(build)
    teams_rig.connector.add_member(wire.user(JO)["id"], email="Jo.Lead@Derby.example")
    secret = await make_token(bot, DERBY)

    body = await teams_rig.say(BLOCK, n=JO)
    assert "BL-2027-" in body["text"], body["text"]

    [block] = await blocks_for(teams_rig.client, secret)
    assert (block["hei"], block["cohort"], block["students"], block["offers_close"]) == (
        DERBY,
        "PT year 2 block 2",
        12,
        "2026-12-01",
    )
    assert (await teams_person(bot, JO)).id == jo.id
    async with bot.sessions() as session:
        names = (
            await session.execute(select(Identity.names).where(Identity.platform == "teams"))
        ).scalar_one()
    assert names == [wire.user(JO)["name"]], "Teams' name for them, kept for erasure"
    [lookup] = teams_rig.connector.member_requests
    assert lookup.path == f"/v3/conversations/a:1personal/members/{wire.user(JO)['id']}"

    await teams_rig.say("placement blocks", n=JO)
    assert len(teams_rig.connector.member_requests) == 1  # once per new person, not every turn


async def test_the_same_command_from_an_unknown_user_stores_no_block(
    teams_rig: TeamsRig, bot: PlaceBot, build: Builder
) -> None:
    jo = await derby_lead(build)
    teams_rig.connector.add_member(wire.user(3)["id"], email="someone@elsewhere.example")
    secret = await make_token(bot, DERBY)
    blocks = await teams_rig.chat.count(PlacementBlock)

    body = await teams_rig.say(BLOCK, n=3)
    assert "Only hei leads or faculty leads" in body["text"]

    assert await teams_rig.chat.count(PlacementBlock) == blocks
    assert await blocks_for(teams_rig.client, secret) == []
    # Teams keeps where to reach them, so they are recorded: as a clinician, not as Jo.
    stranger = await teams_person(bot, 3)
    assert stranger.id != jo.id
    assert [grant.role for grant in stranger.roles] == ["clinician"]


async def test_the_user_principal_name_serves_when_teams_shows_no_email(
    teams_rig: TeamsRig, bot: PlaceBot, build: Builder
) -> None:
    jo = await derby_lead(build)
    teams_rig.connector.add_member(wire.user(JO)["id"], upn="JO.LEAD@derby.example")
    await teams_rig.say("placement blocks", n=JO)
    assert (await teams_person(bot, JO)).id == jo.id


async def test_installing_the_bot_meets_them_by_email_too(
    teams_rig: TeamsRig, bot: PlaceBot, build: Builder
) -> None:
    jo = await derby_lead(build)
    teams_rig.connector.add_member(wire.user(JO)["id"], email="jo.lead@derby.example")
    response = await teams_rig.post(wire.installed(teams_rig.connector.service_url, n=JO))
    assert response.status == 200
    await teams_rig.client.app[TEAMS_EDGE].work.drain()
    assert await teams_rig.chat.count(ConversationReference) == 1
    assert (await teams_person(bot, JO)).id == jo.id
    body = await teams_rig.say(BLOCK, n=JO)
    assert "BL-2027-" in body["text"], body["text"]
    assert len(teams_rig.connector.member_requests) == 1


@pytest.mark.parametrize("failure", ["not a member", "too slow"])
async def test_a_failed_look_up_meets_them_without_an_email(
    teams_rig: TeamsRig,
    bot: PlaceBot,
    build: Builder,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
) -> None:
    jo = await derby_lead(build)
    if failure == "too slow":
        teams_rig.connector.add_member(wire.user(JO)["id"], email="jo.lead@derby.example")
        teams_rig.connector.member_delay = 2.0
        monkeypatch.setattr(teams_app, "MEMBER_LOOKUP_SECONDS", 0.2)
    with caplog.at_level(logging.WARNING, logger="adapters.teams.app"):
        body = await teams_rig.say(BLOCK, n=JO)
    assert "Only hei leads or faculty leads" in body["text"]  # answered, as a newcomer
    [warning] = [r for r in caplog.records if r.name == "adapters.teams.app"]
    assert warning.levelno == logging.WARNING and "member look-up failed" in warning.getMessage()
    person = await teams_person(bot, JO)
    assert person.id != jo.id and person.email is None
