"""Through Slack end to end: a stranger's `/placement offer` naming a real team stays out of the
HEI API; the worker's sender DMs the trust's coordinator (set up by work email) "Confirm member /
Not ours"; the coordinator's press, signed as Slack signs it, puts the offer in the register with
the team's provider and ODS code, or keeps it out for good.

The real slack-bolt app, the fake Slack Web API on loopback, the register API with a bearer
token and the worker's own Sender and Slack channel, as in the request round trip.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import bearer, make_token
from tests.membership.coordinator import NUH, nuh_coordinator
from tests.requests.round_trip import round_fixtures
from tests.requests.test_request_round_trip_slack import SlackRound, buttons, rig
from tests.support import slack_wire as wire
from tests.support.builder import Builder

_, released = round_fixtures(rig)

NOTTINGHAM = "University of Nottingham"
OFFER = "offer PT 1 Mar - 19 Mar 2027 2 students at Ward 12 Orthopaedics"
STRANGER, COORDINATOR = "U0STRANGER", "U0COORD"


async def coordinator(rt: SlackRound, build: Builder) -> None:
    """NUH's coordinator, set up by work email and met on Slack already."""
    await nuh_coordinator(rt.bot, build, slack=COORDINATOR)


async def register(rt: SlackRound) -> dict[str, dict[str, Any]]:
    secret = await make_token(rt.bot, NOTTINGHAM)
    response = await rt.client.get(
        "/api/v1/placements", params={"updated_since": "2000-01-01T00:00:00Z"},
        headers=bearer(secret),
    )  # fmt: skip
    assert response.status == 200
    return {item["ref"]: item for item in (await response.json())["items"]}


async def stranger_offers(rt: SlackRound) -> str:
    await rt.slack_post(
        wire.slash_command("/placement", OFFER, rt.slack.response_url("offer"), user=STRANGER)
    )
    [answer] = await rt.slack.wait_for("response:offer")
    assert "it is held until the team's coordinator confirms" in answer.body["text"]
    [ref] = set(re.findall(r"PL-2027-\d{4}", json.dumps(answer.body["blocks"])))
    return ref


async def press(rt: SlackRound, label: str, key: str) -> str:
    """The coordinator presses `label` in the DM the worker sent them; the bot's answer."""
    [posted] = [
        c for c in rt.slack.named("chat.postMessage") if c.body["channel"] == f"D{COORDINATOR}"
    ]
    dm = posted.body["channel"]
    [message] = rt.slack.messages[dm]
    pressed = {"ts": message["ts"], "text": posted.body["text"], "blocks": posted.body["blocks"]}
    found = buttons(posted.body["blocks"])
    assert {"Confirm member", "Not ours"} <= set(found)
    await rt.slack_post(
        wire.dm_block_action(
            found[label], pressed, dm, rt.slack.response_url(key), user=COORDINATOR
        )
    )
    [answer] = await rt.slack.wait_for(f"response:{key}")
    return str(answer.body["text"])


async def test_confirm_member_in_the_dm_puts_the_offer_in_the_register(
    released: SlackRound, build: Builder
) -> None:
    rt = released
    await coordinator(rt, build)
    ref = await stranger_offers(rt)
    assert ref not in await register(rt)

    assert (
        await rt.deliver() == 2
    )  # each NUH coordinator: the demo's, in the local chat, and this one
    [opened] = rt.slack.named("conversations.open")
    assert opened.body["users"] == COORDINATOR
    [posted] = rt.slack.named("chat.postMessage")
    assert "says they work in Ward 12 Orthopaedics" in posted.body["text"]
    assert ref in posted.body["text"]

    assert "is a member of Ward 12 Orthopaedics" in await press(rt, "Confirm member", "yes")
    record = (await register(rt))[ref]
    assert (record["status"], record["provider"], record["provider_ods_code"]) == (
        "offered", NUH, "RX1",
    )  # fmt: skip
    assert record["team"] == "Ward 12 Orthopaedics"
    assert await rt.deliver() == 1  # the stranger, now a member, is told
    told = [c for c in rt.slack.named("chat.postMessage") if c.body["channel"] == f"D{STRANGER}"]
    assert "You are now a member of Ward 12 Orthopaedics" in told[0].body["text"]


async def test_not_ours_in_the_dm_keeps_it_out_of_the_register_for_good(
    released: SlackRound, build: Builder
) -> None:
    rt = released
    await coordinator(rt, build)
    ref = await stranger_offers(rt)
    assert await rt.deliver() == 2
    assert "is not one of Ward 12 Orthopaedics" in await press(rt, "Not ours", "no")
    assert ref not in await register(rt)
    assert await rt.deliver() == 1
    told = [c for c in rt.slack.named("chat.postMessage") if c.body["channel"] == f"D{STRANGER}"]
    assert "could not confirm that you work there" in told[0].body["text"]
    assert ref not in await register(rt)
