"""An HEI lead set up by work email adds a block from Slack the first time they speak there; a
stranger's same command stores nothing."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from bot.chat.placebot import PlaceBot
from storage.tables import Identity, Person, PlacementBlock
from tests.conftest import bearer, make_token
from tests.support.builder import Builder
from tests.support.chat import Chat
from tests.support.slack_rig import SlackRig

BLOCK = "block add PT year 2 block 2 13 Jan - 21 Feb 2027 12 students close 1 Dec"
DERBY = "University of Derby"


async def derby_lead(build: Builder) -> Person:
    hei = await build.hei(DERBY, ("PT", "OT"), ukprn="10007851")
    return await build.person(
        "Jo Lead", "hei_lead", organisation=hei, email="Jo.Lead@derby.example", reachable=False
    )


async def blocks_for(client: TestClient, secret: str) -> list[dict]:
    response = await client.get("/api/v1/blocks", headers=bearer(secret))
    assert response.status == 200, await response.text()
    return (await response.json())["items"]


async def stored(chat: Chat) -> tuple[int, int, int]:
    return (
        await chat.count(PlacementBlock),
        await chat.count(Person),
        await chat.count(Identity),
    )


async def test_an_hei_lead_added_by_email_adds_a_block_from_slack(
    slack_rig: SlackRig, bot: PlaceBot, build: Builder
) -> None:
    jo = await derby_lead(build)
    slack_rig.slack.emails["U0JOLEAD"] = "jo.lead@derby.example"
    secret = await make_token(bot, DERBY)
    assert await blocks_for(slack_rig.client, secret) == []

    await slack_rig.command(BLOCK, user="U0JOLEAD")
    [answer] = await slack_rig.slack.wait_for("response:r1")
    assert "BL-2027-" in answer.body["text"], answer.body["text"]

    [block] = await blocks_for(slack_rig.client, secret)
    assert (block["hei"], block["profession"], block["cohort"], block["students"]) == (
        DERBY,
        "PT",
        "PT year 2 block 2",
        12,
    )
    assert (block["start_date"], block["end_date"], block["offers_close"]) == (
        "2027-01-13",
        "2027-02-21",
        "2026-12-01",
    )
    async with bot.sessions() as session:
        identity = (
            await session.execute(
                Identity.__table__.select().where(Identity.external_id == "U0JOLEAD")
            )
        ).one()
    assert (identity.person_id, identity.platform, identity.tenant) == (jo.id, "slack", "T0001")


async def test_the_same_command_from_an_unknown_user_stores_nothing(
    slack_rig: SlackRig, bot: PlaceBot, build: Builder
) -> None:
    await derby_lead(build)
    secret = await make_token(bot, DERBY)
    before = await stored(slack_rig.chat)

    await slack_rig.command(BLOCK, user="U0STRANGER")  # profile email u0stranger@nhs.example
    [answer] = await slack_rig.slack.wait_for("response:r1")
    assert answer.body["response_type"] == "ephemeral"
    assert "Only hei leads or faculty leads" in answer.body["text"]

    assert await stored(slack_rig.chat) == before  # no block, and not even the stranger
    assert await blocks_for(slack_rig.client, secret) == []
