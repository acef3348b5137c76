"""An HEI's request reaches a Teams poster as a proactive card whose Confirm works, end to end.

The real Teams edge at `/api/messages` (botbuilder checks the JWT when an app id is set), the
fake Bot Connector on loopback, the register API with a bearer token, and the worker's own Sender
and Teams channel: a clinician offers in a message to the bot, an HEI asks through the API, the
worker sends the card to the clinician's stored conversation, Confirm is pressed as an
`Action.Execute` invoke built from that card, and the HEI sees its request `confirmed`. With and
without a release delay (requests before release are held and settled at release, as the web
process does).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.server import build_app
from adapters.teams.app import TEAMS_EDGE
from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from config.settings import Settings
from storage.engine import make_engine
from tests.conftest import bearer, make_token
from tests.requests.round_trip import Round, round_fixtures
from tests.support import teams_wire as wire
from tests.support.fakes.bot_connector import FakeConnector
from tests.support.teams_rig import teams_settings

NOTTINGHAM = "University of Nottingham"
OFFER = "placement offer PT 1 Mar - 19 Mar 2027 2 students at Stroke Rehab, City Hospital"


@dataclass
class TeamsRound(Round):
    connector: FakeConnector = field(kw_only=True)


@asynccontextmanager
async def rig(
    bot: PlaceBot, engine: AsyncEngine, settings: Settings, clock: FixedClock, delay: int
) -> AsyncIterator[TeamsRound]:
    async with FakeConnector() as connector:
        # The poster is NUH staff by its email domain, so a member of Stroke Rehab at once.
        connector.add_member(wire.user(1)["id"], email="stroke.physio@nuh.nhs.uk")
        configured = teams_settings(
            settings,
            connector,
            placebot_teams_allow_unauthenticated="1",
            placebot_release_delay_hours=delay,
        )
        app = build_app(configured, make_engine(settings.database_url), clock)
        async with TestClient(TestServer(app)) as client:
            yield TeamsRound(client, bot, configured, engine, clock, connector=connector)
            await app[TEAMS_EDGE].work.drain()


round_trip, released = round_fixtures(rig)


def card_of(body: dict[str, Any]) -> dict[str, Any]:
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def actions(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every Action.Execute of a card, at any depth, by title."""
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute":
                found[node["title"]] = node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


async def test_the_poster_confirms_an_hei_request_from_the_proactive_card(
    round_trip: TeamsRound,
) -> None:
    rt = round_trip
    offered = wire.message(rt.connector.service_url, OFFER)
    assert (await rt.client.post("/api/messages", json=offered)).status == 200
    [answer] = await rt.connector.wait_for(1)
    assert "in the register" in answer.body["text"], answer.body["text"]
    [ref] = set(re.findall(r"PL-2027-\d{4}", json.dumps(card_of(answer.body))))

    secret, mine = await rt.hei_asks(NOTTINGHAM, ref, students=2)

    assert await rt.deliver() == 1
    [_, proactive] = await rt.connector.wait_for(2)
    assert proactive.path == f"/v3/conversations/{offered['conversation']['id']}/activities"
    assert "replyToId" not in proactive.body  # a new message in the chat, not an answer
    assert proactive.body["recipient"]["aadObjectId"] == offered["from"]["aadObjectId"]
    card = card_of(proactive.body)
    assert f"request #{mine['id']}" in json.dumps(card)
    found = actions(card)
    assert {"Confirm", "Decline"} <= set(found)

    confirm = found["Confirm"]
    press = wire.execute(rt.connector.service_url, confirm["data"], confirm["verb"])
    press["replyToId"] = "activity-2"  # the card's id, as the connector answered the send
    response = await rt.client.post("/api/messages", json=press)
    assert response.status == 200
    answered = await response.json()
    assert answered["statusCode"] == 200
    assert f"{ref} is confirmed" in answered["value"]["body"][0]["text"], answered
    [mine] = await rt.requests(secret, ref)
    assert mine["status"] == "confirmed"
    placement = await rt.client.get(f"/api/v1/placements/{ref}", headers=bearer(secret))
    assert (await placement.json())["status"] == "confirmed"
    # Pressed again (a second invoke, as a double click sends): still confirmed, said so.
    again = wire.execute(rt.connector.service_url, confirm["data"], confirm["verb"])
    answered = await (await rt.client.post("/api/messages", json=again)).json()
    assert f"{ref} is confirmed" in answered["value"]["body"][0]["text"], answered
    [mine] = await rt.requests(secret, ref)
    assert mine["status"] == "confirmed"


async def test_decline_on_the_card_frees_the_places_for_the_next_hei(released: TeamsRound) -> None:
    rt = released
    offered = wire.message(rt.connector.service_url, OFFER)
    assert (await rt.client.post("/api/messages", json=offered)).status == 200
    [answer] = await rt.connector.wait_for(1)
    [ref] = set(re.findall(r"PL-2027-\d{4}", json.dumps(card_of(answer.body))))
    secret = await make_token(rt.bot, NOTTINGHAM)
    url = f"/api/v1/placements/{ref}/requests"
    assert (await rt.client.post(url, json={"students": 2}, headers=bearer(secret))).status == 201
    assert await rt.deliver() == 1
    [_, proactive] = await rt.connector.wait_for(2)
    decline = actions(card_of(proactive.body))["Decline"]
    press = wire.execute(rt.connector.service_url, decline["data"], decline["verb"])
    answered = await (await rt.client.post("/api/messages", json=press)).json()
    assert "Declined" in answered["value"]["body"][0]["text"], answered
    [mine] = await rt.requests(secret, ref)
    assert mine["status"] == "declined"
    lincoln = await make_token(rt.bot, "University of Lincoln")
    assert (await rt.client.post(url, json={"students": 2}, headers=bearer(lincoln))).status == 201
