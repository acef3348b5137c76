"""The word "payload" in what people type: slack-bolt's own form parser takes any form with the
word in it for an interactive payload (an empty body, answered 404); the adapter reads the body
itself, so a command, a button and a form that say "payload" arrive whole."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qsl

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.server import build_app
from adapters.slack.wire_body import SlackWireRequest, parse_body
from bot.kernel.clock import FixedClock
from config.settings import Settings
from storage.engine import make_engine
from storage.tables import Person, PlacementOffer
from tests.support import slack_wire as wire
from tests.support.chat import Chat
from tests.support.fakes.slack_api import FakeSlack
from tests.support.slack_rig import SlackRig, slack_settings, yes_withdraw

OFFER = "offer PT 1 Feb - 12 Mar 2027 2 students at "
# As typed; each is sent as Slack sends it, with &, < and > escaped.
PLACES = [
    "payload unit, Ward 3",
    "Ward 3 payload=1",
    'Ward 3 &payload={"type":"block_actions"}',
    "Payload Bay, Ward 3 &payload=&command=/admin",
]


def slack_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def stored_places(rig: SlackRig) -> list[str]:
    async with rig.chat.bot.sessions() as session:
        rows = (await session.execute(PlacementOffer.__table__.select())).all()
    return [row.place_text for row in rows]


@pytest.mark.parametrize("place", PLACES)
async def test_a_slash_command_that_says_payload_is_stored_and_answered(
    slack_rig: SlackRig, place: str
) -> None:
    response = await slack_rig.command(OFFER + slack_escaped(place))
    assert response.status == 200  # acknowledged, not 404, with its answer
    [answer] = await slack_rig.slack.wait_for("response:r1")
    assert "is in the register" in answer.body["text"]
    assert await stored_places(slack_rig) == [place]


async def test_a_button_pressed_on_a_message_that_says_payload_acts(slack_rig: SlackRig) -> None:
    await slack_rig.command(OFFER + "payload unit, Ward 3")
    [answer] = await slack_rig.slack.wait_for("response:r1")
    withdraw = await yes_withdraw(slack_rig, answer.body)
    body, _ = wire.block_action(
        withdraw["action_id"], withdraw["value"], slack_rig.slack.response_url("press")
    )
    payload = json.loads(dict(parse_qsl(body))["payload"])
    # Slack sends the message the button sits in along with the press.
    payload["message"] = {"type": "message", "ts": "1548261231.000200", **answer.body}
    payload["state"] = {
        "values": {"note": {"n": {"type": "plain_text_input", "value": "payload="}}}
    }
    pressed = wire.interactive(payload)
    assert pressed[0].count("payload") > 2
    assert (await slack_rig.post(pressed)).status == 200
    [done] = await slack_rig.slack.wait_for("response:press")
    assert "withdrawn" in done.body["text"]
    async with slack_rig.chat.bot.sessions() as session:
        offer = (await session.execute(PlacementOffer.__table__.select())).one()
    assert offer.status == "withdrawn"


async def test_a_form_whose_values_say_payload_creates_the_offer(slack_rig: SlackRig) -> None:
    await slack_rig.command("offer")
    [opened] = await slack_rig.slack.wait_for("views.open")
    values = {
        "profession": "PT",
        "start": "1 Feb 2027",
        "end": "12 Mar 2027",
        "capacity": "2",
        "place": "payload unit, Ward 3",
        "educator": "payload=educator&payload=",
        "notes": 'Bring the payload={"type":"view_submission"} &payload=x form',
    }
    submitted = wire.view_submission(opened.body["view"], values, view_id="V1")
    assert (await slack_rig.post(submitted)).status == 200
    [dm] = await slack_rig.slack.wait_for("chat.postMessage")
    assert "is in the register" in dm.body["text"]
    async with slack_rig.chat.bot.sessions() as session:
        offer = (await session.execute(PlacementOffer.__table__.select())).one()
    assert (offer.place_text, offer.educator, offer.notes) == (
        values["place"],
        values["educator"],
        values["notes"],
    )


def _command(rig: SlackRig) -> tuple[str, str]:
    return wire.slash_command(
        "/placement", OFFER + "payload unit, Ward 3", rig.slack.response_url("x")
    )


def _not_json_payload(rig: SlackRig) -> tuple[str, str]:
    return "payload=%7Bnot+json&text=payload", "application/x-www-form-urlencoded"


@pytest.mark.parametrize("body_of", [_command, _not_json_payload])
@pytest.mark.parametrize("forgery", ["zeros", "wrong-secret", "signed-another-body"])
async def test_a_forged_body_that_says_payload_gets_401_and_changes_nothing(
    slack_rig: SlackRig, body_of, forgery: str
) -> None:
    body, content_type = body_of(slack_rig)
    if forgery == "zeros":
        sent = {**wire.signed_headers(body), "X-Slack-Signature": "v0=" + "0" * 64}
    elif forgery == "wrong-secret":
        sent = wire.signed_headers(body, secret="not-the-secret")
    else:  # a genuine signature, lifted onto a body it was not made for
        sent = wire.signed_headers(body.replace("payload", "Ward", 1))
    response = await slack_rig.post((body, content_type), sent)
    assert response.status == 401
    await asyncio.sleep(0.2)
    assert await slack_rig.chat.count(PlacementOffer) == 0
    assert await slack_rig.chat.count(Person) == 7
    assert slack_rig.slack.named("response:x") == []


async def test_a_signed_form_whose_payload_is_not_json_finds_no_listener(
    slack_rig: SlackRig,
) -> None:
    response = await slack_rig.post(_not_json_payload(slack_rig))
    assert response.status == 404  # bolt's parser raised here, and the server answered 500


async def test_socket_mode_commands_that_say_payload_were_never_misread(
    engine: AsyncEngine, settings: Settings, clock: FixedClock, chat: Chat
) -> None:
    """Socket Mode hands bolt the command as a dict, so bolt's form parser never runs."""
    async with FakeSlack() as slack:
        configured = slack_settings(settings, slack, slack_app_token="xapp-1-A123-456-abc")
        app = build_app(configured, make_engine(settings.database_url), clock)
        async with TestClient(TestServer(app)):
            await slack.wait_for("apps.connections.open")
            body, _ = wire.slash_command(
                "/placement", OFFER + "payload unit, Ward 3", slack.response_url("socket")
            )
            await slack.push(
                {
                    "envelope_id": "8f1c1a3e-payload",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": dict(parse_qsl(body)),
                }
            )
            [ack] = await slack.wait_for("socket:ack")  # stored first; the ack is the answer
        assert "in the register" in ack.body["payload"]["text"]
        assert await chat.count(PlacementOffer) == 1


def test_only_a_top_level_payload_field_makes_an_interactive_body() -> None:
    form = "application/x-www-form-urlencoded"
    command, _ = wire.slash_command("/placement", "payload unit", "https://x/r")
    assert parse_body(command, form)["text"] == "payload unit"
    pressed, _ = wire.interactive({"type": "block_actions", "note": "payload"})
    assert parse_body(pressed, form) == {"type": "block_actions", "note": "payload"}
    assert parse_body('{"type": "event_callback"}', "application/json") == {
        "type": "event_callback"
    }
    assert parse_body("payload=%5B1%5D", form) == {}  # a payload that is not an object
    assert parse_body("", form) == {}


def test_bolts_copy_of_a_request_keeps_the_body_as_read_here() -> None:
    """Bolt copies a request for lazy listeners; its own copy would parse the raw body again."""
    command, content_type = wire.slash_command("/placement", "payload unit", "https://x/r")
    request = SlackWireRequest(body=command, headers={"Content-Type": content_type})
    copied = request.to_copyable()
    assert (copied.raw_body, copied.body["text"]) == (command, "payload unit")
    assert copied.context["team_id"] == request.context["team_id"] == wire.TEAM
