"""Through Teams end to end: a stranger's offer naming a real team stays out of the HEI API; the
trust's coordinator, set up by work email and recognised by the member record the Bot Connector
answers, gets a proactive card with Confirm member / Not ours; pressing Confirm member (an
`Action.Execute` invoke built from that card) puts the offer in the register with the team's
provider and ODS code.

The real Teams edge and botbuilder, the fake Bot Connector on loopback, the register API and
the worker's own Sender and Teams channel, as in the request round trip.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import bearer, make_token
from tests.membership.coordinator import NUH, nuh_coordinator
from tests.requests.round_trip import round_fixtures
from tests.requests.test_request_round_trip_teams import TeamsRound, actions, card_of, rig
from tests.support import teams_wire as wire
from tests.support.builder import Builder

_, released = round_fixtures(rig)

OFFER = "placement offer PT 1 Mar - 19 Mar 2027 2 students at Ward 12 Orthopaedics"
STRANGER, COORDINATOR = 3, 2  # user 1 is NUH staff in the round trip's rig
COORDINATOR_CHAT = "a:2personal"


async def register(rt: TeamsRound) -> dict[str, dict[str, Any]]:
    secret = await make_token(rt.bot, "University of Nottingham")
    response = await rt.client.get(
        "/api/v1/placements", params={"updated_since": "2000-01-01T00:00:00Z"},
        headers=bearer(secret),
    )  # fmt: skip
    assert response.status == 200
    return {item["ref"]: item for item in (await response.json())["items"]}


async def test_the_coordinator_confirms_a_stranger_from_the_proactive_card(
    released: TeamsRound, build: Builder
) -> None:
    rt = released
    await nuh_coordinator(rt.bot, build)
    member = wire.user(COORDINATOR)
    rt.connector.add_member(member["id"], email="Practice.Education@nuh.example")
    hello = wire.message(
        rt.connector.service_url, "placement help", n=COORDINATOR, conversation=COORDINATOR_CHAT
    )
    assert (await rt.client.post("/api/messages", json=hello)).status == 200
    await rt.connector.wait_for(1)

    offered = wire.message(rt.connector.service_url, OFFER, n=STRANGER)
    assert (await rt.client.post("/api/messages", json=offered)).status == 200
    [_, answer] = await rt.connector.wait_for(2)
    assert "it is held until the team's coordinator confirms" in answer.body["text"]
    [ref] = set(re.findall(r"PL-2027-\d{4}", json.dumps(card_of(answer.body))))
    assert ref not in await register(rt)

    assert await rt.deliver() == 2  # each NUH coordinator: the demo's (local chat) and this one
    sent = await rt.connector.wait_for(3)
    [proactive] = [s for s in sent if s.path == f"/v3/conversations/{COORDINATOR_CHAT}/activities"
                   and "attachments" in s.body and "Confirm member" in json.dumps(s.body)]  # fmt: skip
    card = card_of(proactive.body)
    assert "says they work in Ward 12 Orthopaedics" in json.dumps(card)
    found = actions(card)
    assert {"Confirm member", "Not ours"} <= set(found)

    confirm = found["Confirm member"]
    press = wire.execute(rt.connector.service_url, confirm["data"], confirm["verb"], n=COORDINATOR)
    press["conversation"]["id"] = COORDINATOR_CHAT
    press["replyToId"] = "activity-3"
    response = await rt.client.post("/api/messages", json=press)
    assert response.status == 200
    answered = await response.json()
    assert "is a member of Ward 12 Orthopaedics" in json.dumps(answered), answered

    record = (await register(rt))[ref]
    assert (record["status"], record["provider"], record["provider_ods_code"]) == (
        "offered", NUH, "RX1",
    )  # fmt: skip
