"""An HEI's request reaches a Slack poster as a DM whose Confirm button confirms it, end to end.

The real slack-bolt app behind the server, the fake Slack Web API on loopback, the register API
with a bearer token, and the worker's own Sender and Slack channel: a clinician offers with
`/placement offer`, an HEI asks through `POST /api/v1/placements/{ref}/requests`, the clinician
presses Confirm in the DM and the HEI sees its request `confirmed`. With and without a release
delay (requests before release are held and settled at release, as the web process does).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.server import build_app
from adapters.slack.channel import SlackChannel
from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from config.settings import Settings
from storage.engine import make_engine
from tests.conftest import bearer, make_token
from tests.requests.round_trip import Round, round_fixtures
from tests.support import slack_wire as wire
from tests.support.fakes.slack_api import FakeSlack
from tests.support.slack_rig import slack_settings

NOTTINGHAM = "University of Nottingham"
POSTER_EMAIL = "stroke.physio@nuh.nhs.uk"
OFFER = "offer PT 1 Mar - 19 Mar 2027 2 students at Stroke Rehab, City Hospital"


@dataclass
class SlackRound(Round):
    slack: FakeSlack = field(kw_only=True)

    def check_channels(self, channels: Mapping[str, Any]) -> None:
        assert isinstance(channels["slack"], SlackChannel)

    async def slack_post(self, body_and_type: tuple[str, str]) -> None:
        body, content_type = body_and_type
        headers = {"Content-Type": content_type, **wire.signed_headers(body)}
        response = await self.client.post("/slack/events", data=body.encode(), headers=headers)
        assert response.status == 200
        answer = await response.json() if response.content_type == "application/json" else None
        await self.slack.acknowledged(body, response.status, answer)


@asynccontextmanager
async def rig(
    bot: PlaceBot, engine: AsyncEngine, settings: Settings, clock: FixedClock, delay: int
) -> AsyncIterator[SlackRound]:
    async with FakeSlack() as slack:
        slack.emails["U0001"] = POSTER_EMAIL  # NUH staff by its email domain: a member at once
        configured = slack_settings(settings, slack, placebot_release_delay_hours=delay)
        app = build_app(configured, make_engine(settings.database_url), clock)
        async with TestClient(TestServer(app)) as client:
            yield SlackRound(client, bot, configured, engine, clock, slack=slack)


round_trip, released = round_fixtures(rig)


def buttons(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        element["text"]["text"]: element
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }


async def test_the_poster_confirms_an_hei_request_from_the_dm_the_worker_sent(
    round_trip: SlackRound,
) -> None:
    rt = round_trip
    await rt.slack_post(wire.slash_command("/placement", OFFER, rt.slack.response_url("offer")))
    [answer] = await rt.slack.wait_for("response:offer")
    assert "is in the register" in answer.body["text"], answer.body["text"]
    [ref] = set(re.findall(r"PL-2027-\d{4}", json.dumps(answer.body["blocks"])))

    secret, mine = await rt.hei_asks(NOTTINGHAM, ref, students=2)

    assert await rt.deliver() == 1
    [opened] = rt.slack.named("conversations.open")
    assert opened.body["users"] == "U0001"
    dm = opened_channel = f"D{opened.body['users']}"
    [posted] = rt.slack.named("chat.postMessage")
    assert posted.body["channel"] == opened_channel
    assert f"request #{mine['id']}" in json.dumps(posted.body["blocks"])
    found = buttons(posted.body["blocks"])
    assert {"Confirm", "Decline"} <= set(found)
    [message] = rt.slack.messages[dm]

    pressed = {"ts": message["ts"], "text": posted.body["text"], "blocks": posted.body["blocks"]}
    await rt.slack_post(
        wire.dm_block_action(found["Confirm"], pressed, dm, rt.slack.response_url("confirm"))
    )
    [confirmed] = await rt.slack.wait_for("response:confirm")
    assert f"{ref} is confirmed" in confirmed.body["text"], confirmed.body["text"]
    [mine] = await rt.requests(secret, ref)
    assert mine["status"] == "confirmed"
    placement = await rt.client.get(f"/api/v1/placements/{ref}", headers=bearer(secret))
    assert (await placement.json())["status"] == "confirmed"
    # The DM keeps its buttons: Decline pressed afterwards says so and changes nothing.
    await rt.slack_post(
        wire.dm_block_action(
            found["Decline"], pressed, dm, rt.slack.response_url("late"), action_ts="1548426418.1"
        )
    )
    [late] = await rt.slack.wait_for("response:late")
    assert f"Request #{mine['id']} on {ref} is confirmed already" in late.body["text"]
    assert late.body["response_type"] == "ephemeral"
    [mine] = await rt.requests(secret, ref)
    assert mine["status"] == "confirmed"


async def test_decline_in_the_dm_frees_the_places_for_the_next_hei(released: SlackRound) -> None:
    rt = released
    await rt.slack_post(wire.slash_command("/placement", OFFER, rt.slack.response_url("offer")))
    [answer] = await rt.slack.wait_for("response:offer")
    [ref] = set(re.findall(r"PL-2027-\d{4}", json.dumps(answer.body["blocks"])))
    secret = await make_token(rt.bot, NOTTINGHAM)
    url = f"/api/v1/placements/{ref}/requests"
    assert (await rt.client.post(url, json={"students": 2}, headers=bearer(secret))).status == 201
    assert await rt.deliver() == 1
    [posted] = rt.slack.named("chat.postMessage")
    dm = posted.body["channel"]
    [message] = rt.slack.messages[dm]
    pressed = {"ts": message["ts"], "text": posted.body["text"], "blocks": posted.body["blocks"]}
    decline = buttons(posted.body["blocks"])["Decline"]
    await rt.slack_post(wire.dm_block_action(decline, pressed, dm, rt.slack.response_url("no")))
    [declined] = await rt.slack.wait_for("response:no")
    assert "Declined" in declined.body["text"], declined.body["text"]
    [mine] = await rt.requests(secret, ref)
    assert mine["status"] == "declined"
    lincoln = await make_token(rt.bot, "University of Lincoln")
    assert (await rt.client.post(url, json={"students": 2}, headers=bearer(lincoln))).status == 201
