"""Slack, offline: signed wire-format requests into the real slack-bolt app, a fake Web API out."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.server import build_app
from adapters.slack.app import SLACK_EDGE, SlackEdge
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Image, Reply
from config.settings import Settings
from storage.engine import make_engine
from storage.tables import CapacityAnswer, Identity, Person, PlacementOffer
from tests import slack_wire as wire
from tests.conftest import Chat
from tests.fakes.slack_api import FakeSlack

ONE_PIXEL_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
OFFER = "offer physio 1 Feb - 12 Mar 2027 2 students at Ward 12, City Hospital"


@dataclass
class SlackRig:
    client: TestClient
    slack: FakeSlack
    chat: Chat

    async def post(
        self, body_and_type: tuple[str, str], headers: dict[str, str] | None = None, **extra: str
    ):
        body, content_type = body_and_type
        sent = {
            "Content-Type": content_type,
            **(wire.signed_headers(body) if headers is None else headers),
            **extra,
        }
        return await self.client.post("/slack/events", data=body.encode(), headers=sent)

    async def command(self, text: str, key: str = "r1", command: str = "/placement", **kwargs: str):
        response = await self.post(
            wire.slash_command(command, text, self.slack.response_url(key), **kwargs)
        )
        assert response.status == 200
        return response


def slack_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The button elements of a Block Kit message, in order."""
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def slack_button(message: dict[str, Any], label: str) -> dict[str, Any]:
    return next(e for e in slack_buttons(message) if e["text"]["text"] == label)


@pytest.fixture
async def rig(
    engine: AsyncEngine, settings: Settings, clock: FixedClock, chat: Chat
) -> AsyncIterator[SlackRig]:
    async with FakeSlack() as slack:
        configured = settings.model_copy(
            update={
                "slack_signing_secret": wire.SIGNING_SECRET,
                "slack_bot_token": "xoxb-test-token",
                "slack_api_url": slack.api_url,
            }
        )
        app = build_app(configured, make_engine(settings.database_url), clock)
        async with TestClient(TestServer(app)) as client:
            yield SlackRig(client, slack, chat)


async def test_url_verification_is_answered(rig: SlackRig) -> None:
    body = json.dumps(
        {
            "token": "x",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    response = await rig.post((body, "application/json"))
    assert response.status == 200
    assert (await response.json())["challenge"].startswith("3eZbrw1a")


async def test_a_slash_command_offer_is_acked_stored_and_answered_by_response_url(
    rig: SlackRig,
) -> None:
    response = await rig.command(OFFER)
    assert await response.text() == ""  # the ack: empty, at once
    [answer] = await rig.slack.wait_for("response:r1")
    assert answer.body["response_type"] == "in_channel"
    assert "is in the register" in answer.body["text"]
    assert [b["text"]["text"] for b in slack_buttons(answer.body)] == ["Edit", "Withdraw"]
    assert await rig.chat.count(PlacementOffer) == 1
    # The person was met through users.info, once, and is remembered.
    assert len(rig.slack.named("users.info")) == 1
    await rig.command("mine", key="r2", trigger="t2")
    await rig.slack.wait_for("response:r2")
    assert len(rig.slack.named("users.info")) == 1
    async with rig.chat.bot.sessions() as session:
        person = await session.get(Person, 8)  # seven demo people came first
        identity = await session.get(Identity, 8)
    assert person is not None and person.display_name == "Clinician U0001"
    assert identity is not None and (identity.platform, identity.tenant, identity.external_id) == (
        "slack",
        "T0001",
        "U0001",
    )


async def test_what_a_clinician_types_reaches_the_core_exactly(rig: SlackRig) -> None:
    place = 'Ward 7 <b>& "Day Unit"</b> 🏥'
    # Slack escapes &, < and > in the command text it sends.
    sent = place.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    await rig.command(f"offer PT 1 Feb - 12 Mar 2027 1 student at {sent}")
    [answer] = await rig.slack.wait_for("response:r1")
    async with rig.chat.bot.sessions() as session:
        offer = (await session.execute(PlacementOffer.__table__.select())).one()
    assert offer.place_text == place
    assert "&lt;b&gt;" in json.dumps(answer.body["blocks"])  # and is escaped on the way out


async def test_errors_are_ephemeral(rig: SlackRig) -> None:
    await rig.command("offer unicorn 1 Feb - 12 Mar 2027 at Ward 12")
    [answer] = await rig.slack.wait_for("response:r1")
    assert answer.body["response_type"] == "ephemeral"
    assert "not one I know" in answer.body["text"]
    assert await rig.chat.count(PlacementOffer) == 0


async def test_a_retried_command_stores_one_offer(rig: SlackRig) -> None:
    # Slack retries with the same trigger id and an X-Slack-Retry-Num header.
    await rig.command(OFFER, key="first")
    await rig.command(OFFER, key="retry1")
    await rig.post(
        wire.slash_command("/placement", OFFER, rig.slack.response_url("retry2")),
        None,
        **{"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"},
    )
    # The three are handled concurrently; whichever wins answers, and no other may.
    await rig.slack.wait_until(
        lambda: any(c.method.startswith("response:") for c in rig.slack.calls)
    )
    await asyncio.sleep(0.5)
    answered = [c for c in rig.slack.calls if c.method.startswith("response:")]
    assert len(answered) == 1
    assert "is in the register" in answered[0].body["text"]
    assert await rig.chat.count(PlacementOffer) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=" + "0" * 64},
        "old",
        {},
        "wrong-secret",
    ],
)
async def test_forged_stale_or_unsigned_requests_get_401_and_change_nothing(
    rig: SlackRig, headers: object
) -> None:
    body, content_type = wire.slash_command("/placement", OFFER, rig.slack.response_url("x"))
    if headers == "old":
        sent = wire.signed_headers(body, timestamp=int(time.time()) - 301)
    elif headers == "wrong-secret":
        sent = wire.signed_headers(body, secret="not-the-secret")
    else:
        sent = headers  # type: ignore[assignment]
    response = await rig.post((body, content_type), sent)
    assert response.status == 401
    await asyncio.sleep(0.2)
    assert await rig.chat.count(PlacementOffer) == 0
    assert await rig.chat.count(Person) == 7
    assert rig.slack.named("response:x") == []


async def test_the_withdraw_button_works_once_even_when_double_clicked(rig: SlackRig) -> None:
    await rig.command(OFFER)
    [answer] = await rig.slack.wait_for("response:r1")
    withdraw = slack_button(answer.body, "Withdraw")
    for n in range(2):
        response = await rig.post(
            wire.block_action(
                withdraw["action_id"],
                withdraw["value"],
                rig.slack.response_url(f"click{n}"),
                action_ts=f"15484264{n}.1",
            )
        )
        assert response.status == 200
    [done] = await rig.slack.wait_for("response:click0")
    assert "withdrawn" in done.body["text"]
    await asyncio.sleep(0.3)
    assert rig.slack.named("response:click1") == []
    async with rig.chat.bot.sessions() as session:
        offer = (await session.execute(PlacementOffer.__table__.select())).one()
    assert (offer.status, offer.version) == ("withdrawn", 2)


async def test_offer_with_no_text_opens_a_modal_and_its_submission_creates_the_offer(
    rig: SlackRig,
) -> None:
    await rig.command("offer")
    [opened] = await rig.slack.wait_for("views.open")
    view = opened.body["view"]
    assert opened.body["trigger_id"].startswith("13345224609")
    assert view["callback_id"] == "offer.create"

    bad = await rig.post(
        wire.view_submission(
            view,
            {
                "profession": "PT",
                "start": "31/02/2027",
                "end": "12 Mar 2027",
                "capacity": "0",
                "place": "Ward 12",
            },
            view_id="V1",
        )
    )
    errors = await bad.json()
    assert errors["response_action"] == "errors"
    assert set(errors["errors"]) == {"start", "capacity"}
    assert await rig.chat.count(PlacementOffer) == 0

    good = {
        "profession": "PT",
        "start": "1 Feb 2027",
        "end": "12 Mar 2027",
        "capacity": "2",
        "place": "Ward 12, City Hospital",
        "supervision_model": "2:1",
    }
    for _ in range(2):  # the same modal submitted twice
        response = await rig.post(wire.view_submission(view, good, view_id="V2"))
        assert response.status == 200
    [dm] = await rig.slack.wait_for("chat.postMessage")
    assert "is in the register" in dm.body["text"]
    await asyncio.sleep(0.3)
    assert len(rig.slack.named("chat.postMessage")) == 1
    assert await rig.chat.count(PlacementOffer) == 1


async def test_block_answers_from_buttons(rig: SlackRig) -> None:
    await rig.command("blocks PT")
    [answer] = await rig.slack.wait_for("response:r1")
    none = slack_button(answer.body, "No capacity")
    await rig.post(
        wire.block_action(none["action_id"], none["value"], rig.slack.response_url("none"))
    )
    [reply] = await rig.slack.wait_for("response:none")
    assert "no capacity" in reply.body["text"]
    assert await rig.chat.count(CapacityAnswer) == 1


async def test_app_home_shows_offers_blocks_and_training(rig: SlackRig) -> None:
    await rig.command(OFFER)
    await rig.slack.wait_for("response:r1")
    response = await rig.post(
        wire.event(
            {
                "type": "app_home_opened",
                "user": "U0001",
                "channel": "D0001",
                "tab": "home",
                "event_ts": "1515449522000016",
            }
        )
    )
    assert response.status == 200
    [published] = await rig.slack.wait_for("views.publish")
    text = json.dumps(published.body["view"])
    assert published.body["user_id"] == "U0001"
    assert "Your team's offers" in text and "PL-2027-0001" in text
    assert "Blocks that need places" in text and "Next educator training" in text


def slack_edge(rig: SlackRig) -> SlackEdge:
    return rig.client.app[SLACK_EDGE]


async def test_a_429_is_retried_after_the_delay_slack_asked_for(rig: SlackRig) -> None:
    edge = slack_edge(rig)
    rig.slack.rate_limit("chat.postMessage", retry_after=1)
    started = time.monotonic()
    await edge.send_to_user("U0001", Reply(text="Your offer starts soon."))
    [limited] = rig.slack.named("429:chat.postMessage")
    [sent] = rig.slack.named("chat.postMessage")
    assert sent.at - limited.at >= 1.0
    assert time.monotonic() - started < 5
    assert sent.body["channel"] == "DU0001"


async def test_send_reaches_a_person_by_direct_message(rig: SlackRig) -> None:
    from adapters.slack.channel import SlackChannel

    await rig.command("mine")
    await rig.slack.wait_for("response:r1")
    channel = SlackChannel(rig.chat.bot.sessions, slack_edge(rig).bot.settings)
    try:
        await channel.send(8, Reply(text="PL-2027-0001 starts in 14 days: confirm it?"))
    finally:
        await channel.close()
    [opened] = rig.slack.named("conversations.open")
    [posted] = rig.slack.named("chat.postMessage")
    assert opened.body["users"] == "U0001"
    assert posted.body["text"].startswith("PL-2027-0001 starts")


async def test_a_link_slack_wrapped_arrives_as_typed(rig: SlackRig) -> None:
    from adapters.slack.app import as_typed

    assert as_typed("online <https://events.example.org/book|events.example.org/book> PT") == (
        "online https://events.example.org/book PT"
    )
    assert as_typed("<mailto:a@b.org|a@b.org>") == "mailto:a@b.org"


async def test_the_edit_button_opens_its_form_again_after_a_cancel(rig: SlackRig) -> None:
    await rig.command(OFFER)
    [answer] = await rig.slack.wait_for("response:r1")
    edit = slack_button(answer.body, "Edit")
    for n in range(2):
        body = wire.block_action(edit["action_id"], edit["value"], rig.slack.response_url(f"e{n}"))
        assert (await rig.post(body)).status == 200
    opened = await rig.slack.wait_for("views.open", count=2)
    assert [call.body["view"]["callback_id"] for call in opened] == ["offer.edit", "offer.edit"]


async def test_a_home_tab_button_answers_by_direct_message(rig: SlackRig) -> None:
    await rig.command(OFFER)
    [answer] = await rig.slack.wait_for("response:r1")
    withdraw = slack_button(answer.body, "Withdraw")
    body, _ = wire.block_action(withdraw["action_id"], withdraw["value"], "")
    payload = json.loads(dict(parse_qsl(body))["payload"])
    payload.pop("response_url")
    payload["container"] = {"type": "view", "view_id": "VHOME"}
    payload["view"] = {"id": "VHOME", "type": "home"}
    assert (await rig.post(wire.interactive(payload))).status == 200
    [dm] = await rig.slack.wait_for("chat.postMessage")
    assert "withdrawn" in dm.body["text"]


async def test_a_chart_is_uploaded_then_shown_in_the_same_message_as_its_text(
    rig: SlackRig,
) -> None:
    png = base64.b64decode(ONE_PIXEL_PNG)
    chart = Image("Offers against targets", "PT: 12 of 39 offered; OT: 5 of 23", ONE_PIXEL_PNG)
    reply = Reply(text="Weekly summary: 12 of 39 PT placements offered.", image=chart)
    await slack_edge(rig).send_to_user("U0001", reply)
    [posted] = rig.slack.named("chat.postMessage")
    [asked] = rig.slack.named("files.getUploadURLExternal")
    [uploaded] = rig.slack.named("upload")
    [completed] = rig.slack.named("files.completeUploadExternal")
    assert posted.body["text"].startswith("Weekly summary: 12 of 39")
    assert (asked.body["filename"], int(asked.body["length"])) == ("chart.png", len(png))
    assert asked.body["alt_txt"] == "PT: 12 of 39 offered; OT: 5 of 23"
    assert (uploaded.body["file_id"], uploaded.body["data"]) == (asked.body["_file_id"], png)
    assert "channel_id" not in completed.body  # shared by the message, not by the upload
    assert json.loads(completed.body["files"]) == [
        {"id": uploaded.body["file_id"], "title": "Offers against targets"}
    ]
    image = next(b for b in posted.body["blocks"] if b["type"] == "image")
    assert image["slack_file"] == {"id": uploaded.body["file_id"]}
    assert image["alt_text"] == "PT: 12 of 39 offered; OT: 5 of 23"
    assert asked.at <= uploaded.at <= completed.at <= posted.at
