"""Slack, offline: signed wire-format requests into the real slack-bolt app, a fake Web API out."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from urllib.parse import parse_qsl

import pytest

from adapters.slack.app import SLACK_EDGE, SlackEdge
from bot.kernel.messages import Image, Reply
from storage.tables import CapacityAnswer, Identity, Person, PlacementOffer
from tests.support import slack_wire as wire
from tests.support.images import ONE_PIXEL_PNG
from tests.support.slack_rig import SlackRig, slack_button, slack_buttons, yes_withdraw

OFFER = "offer physio 1 Feb - 12 Mar 2027 2 students at Ward 12, Kings Mill Hospital"


async def test_url_verification_is_answered(slack_rig: SlackRig) -> None:
    body = json.dumps(
        {
            "token": "x",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    response = await slack_rig.post((body, "application/json"))
    assert response.status == 200
    assert (await response.json())["challenge"].startswith("3eZbrw1a")


async def test_a_slash_command_offer_is_stored_then_acked_with_its_answer(
    slack_rig: SlackRig,
) -> None:
    response = await slack_rig.command(OFFER)
    acked = await response.json()  # the ack carries the answer: stored before it was sent
    assert acked["response_type"] == "in_channel" and "is in the register" in acked["text"]
    assert slack_rig.slack.named("response:r1")[0].body["_via"] == "ack"  # no response_url post
    [answer] = await slack_rig.slack.wait_for("response:r1")
    assert answer.body["response_type"] == "in_channel"
    assert "is in the register" in answer.body["text"]
    assert [b["text"]["text"] for b in slack_buttons(answer.body)] == ["Edit", "Withdraw"]
    assert await slack_rig.chat.count(PlacementOffer) == 1
    # The person was met through users.info, once, and is remembered.
    assert len(slack_rig.slack.named("users.info")) == 1
    await slack_rig.command("mine", key="r2", trigger="t2")
    await slack_rig.slack.wait_for("response:r2")
    assert len(slack_rig.slack.named("users.info")) == 1
    async with slack_rig.chat.bot.sessions() as session:
        person = await session.get(Person, 8)  # seven demo people came first
        identity = await session.get(Identity, 8)
    assert person is not None and person.display_name == "Clinician U0001"
    assert identity is not None and (identity.platform, identity.tenant, identity.external_id) == (
        "slack",
        "T0001",
        "U0001",
    )


async def test_what_a_clinician_types_reaches_the_core_exactly(slack_rig: SlackRig) -> None:
    place = 'Ward 7 <b>& "Day Unit"</b> 🏥'
    # Slack escapes &, < and > in the command text it sends.
    sent = place.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    await slack_rig.command(f"offer PT 1 Feb - 12 Mar 2027 1 student at {sent}")
    [answer] = await slack_rig.slack.wait_for("response:r1")
    async with slack_rig.chat.bot.sessions() as session:
        offer = (await session.execute(PlacementOffer.__table__.select())).one()
    assert offer.place_text == place
    assert "&lt;b&gt;" in json.dumps(answer.body["blocks"])  # and is escaped on the way out


async def test_errors_are_ephemeral(slack_rig: SlackRig) -> None:
    await slack_rig.command("offer unicorn 1 Feb - 12 Mar 2027 at Ward 12")
    [answer] = await slack_rig.slack.wait_for("response:r1")
    assert answer.body["response_type"] == "ephemeral"
    assert "not one I know" in answer.body["text"]
    assert await slack_rig.chat.count(PlacementOffer) == 0


async def test_a_retried_command_stores_one_offer(slack_rig: SlackRig) -> None:
    # Slack retries with the same trigger id and an X-Slack-Retry-Num header.
    await slack_rig.command(OFFER, key="first")
    await slack_rig.command(OFFER, key="retry1")
    await slack_rig.post(
        wire.slash_command("/placement", OFFER, slack_rig.slack.response_url("retry2")),
        None,
        **{"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"},
    )
    # The three are handled concurrently; one stores the offer, and each is answered with that
    # first answer (a retry means Slack never got it), in its acknowledgement.
    answered = [c for c in slack_rig.slack.calls if c.method.startswith("response:")]
    assert sorted(c.method for c in answered) == [
        "response:first",
        "response:retry1",
        "response:retry2",
    ]
    assert {c.body["text"] for c in answered} == {
        "Thank you: offer PL-2027-0001 is in the register."
    }
    assert {c.body["_via"] for c in answered} == {"ack"}
    assert await slack_rig.chat.count(PlacementOffer) == 1


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
    slack_rig: SlackRig, headers: object
) -> None:
    body, content_type = wire.slash_command("/placement", OFFER, slack_rig.slack.response_url("x"))
    if headers == "old":
        sent = wire.signed_headers(body, timestamp=int(time.time()) - 301)
    elif headers == "wrong-secret":
        sent = wire.signed_headers(body, secret="not-the-secret")
    else:
        sent = headers  # type: ignore[assignment]
    response = await slack_rig.post((body, content_type), sent)
    assert response.status == 401
    await asyncio.sleep(0.2)
    assert await slack_rig.chat.count(PlacementOffer) == 0
    assert await slack_rig.chat.count(Person) == 7
    assert slack_rig.slack.named("response:x") == []


async def test_the_withdraw_button_works_once_even_when_double_clicked(slack_rig: SlackRig) -> None:
    await slack_rig.command(OFFER)
    [answer] = await slack_rig.slack.wait_for("response:r1")
    withdraw = await yes_withdraw(slack_rig, answer.body)
    for n in range(2):
        response = await slack_rig.post(
            wire.block_action(
                withdraw["action_id"],
                withdraw["value"],
                slack_rig.slack.response_url(f"click{n}"),
                action_ts=f"15484264{n}.1",
            )
        )
        assert response.status == 200
    [done] = await slack_rig.slack.wait_for("response:click0")
    assert "withdrawn" in done.body["text"]
    await asyncio.sleep(0.3)
    assert slack_rig.slack.named("response:click1") == []
    async with slack_rig.chat.bot.sessions() as session:
        offer = (await session.execute(PlacementOffer.__table__.select())).one()
    assert (offer.status, offer.version) == ("withdrawn", 2)


async def test_offer_with_no_text_opens_a_modal_and_its_submission_creates_the_offer(
    slack_rig: SlackRig,
) -> None:
    await slack_rig.command("offer")
    [opened] = await slack_rig.slack.wait_for("views.open")
    view = opened.body["view"]
    assert opened.body["trigger_id"].startswith("13345224609")
    assert view["callback_id"] == "offer.create"

    bad = await slack_rig.post(
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
    assert await slack_rig.chat.count(PlacementOffer) == 0

    good = {
        "profession": "PT",
        "start": "1 Feb 2027",
        "end": "12 Mar 2027",
        "capacity": "2",
        "place": "Ward 12, Kings Mill Hospital",
        "supervision_model": "2:1",
    }
    for _ in range(2):  # the same modal submitted twice
        response = await slack_rig.post(wire.view_submission(view, good, view_id="V2"))
        assert response.status == 200
    [dm] = await slack_rig.slack.wait_for("chat.postMessage")
    assert "is in the register" in dm.body["text"]
    await asyncio.sleep(0.3)
    assert len(slack_rig.slack.named("chat.postMessage")) == 1
    assert await slack_rig.chat.count(PlacementOffer) == 1


async def test_block_answers_from_buttons(slack_rig: SlackRig) -> None:
    await slack_rig.command("blocks PT")
    [answer] = await slack_rig.slack.wait_for("response:r1")
    none = slack_button(answer.body, "No capacity")
    await slack_rig.post(
        wire.block_action(none["action_id"], none["value"], slack_rig.slack.response_url("none"))
    )
    [reply] = await slack_rig.slack.wait_for("response:none")
    assert "no capacity" in reply.body["text"]
    assert await slack_rig.chat.count(CapacityAnswer) == 1


async def test_app_home_shows_offers_blocks_and_training(slack_rig: SlackRig) -> None:
    await slack_rig.command(OFFER)
    await slack_rig.slack.wait_for("response:r1")
    response = await slack_rig.post(
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
    [published] = await slack_rig.slack.wait_for("views.publish")
    text = json.dumps(published.body["view"])
    assert published.body["user_id"] == "U0001"
    assert "Your team's offers" in text and "PL-2027-0001" in text
    assert "Blocks that need places" in text and "Next educator training" in text


def slack_edge(slack_rig: SlackRig) -> SlackEdge:
    return slack_rig.client.app[SLACK_EDGE]


async def test_a_429_is_retried_after_the_delay_slack_asked_for(slack_rig: SlackRig) -> None:
    edge = slack_edge(slack_rig)
    slack_rig.slack.rate_limit("chat.postMessage", retry_after=1)
    started = time.monotonic()
    await edge.send_to_user("U0001", Reply(text="Your offer starts soon."))
    [limited] = slack_rig.slack.named("429:chat.postMessage")
    [sent] = slack_rig.slack.named("chat.postMessage")
    assert sent.at - limited.at >= 1.0
    assert time.monotonic() - started < 5
    assert sent.body["channel"] == "DU0001"


async def test_send_reaches_a_person_by_direct_message(slack_rig: SlackRig) -> None:
    from adapters.slack.channel import SlackChannel

    await slack_rig.command("mine")
    await slack_rig.slack.wait_for("response:r1")
    channel = SlackChannel(slack_rig.chat.bot.sessions, slack_edge(slack_rig).bot.settings)
    try:
        await channel.send(8, Reply(text="PL-2027-0001 starts in 14 days: confirm it?"))
    finally:
        await channel.close()
    [opened] = slack_rig.slack.named("conversations.open")
    [posted] = slack_rig.slack.named("chat.postMessage")
    assert opened.body["users"] == "U0001"
    assert posted.body["text"].startswith("PL-2027-0001 starts")


async def test_a_link_slack_wrapped_arrives_as_typed(slack_rig: SlackRig) -> None:
    from adapters.slack.app import as_typed

    assert as_typed("online <https://events.example.org/book|events.example.org/book> PT") == (
        "online https://events.example.org/book PT"
    )
    assert as_typed("<mailto:a@b.org|a@b.org>") == "mailto:a@b.org"


async def test_the_edit_button_opens_its_form_again_after_a_cancel(slack_rig: SlackRig) -> None:
    await slack_rig.command(OFFER)
    [answer] = await slack_rig.slack.wait_for("response:r1")
    edit = slack_button(answer.body, "Edit")
    for n in range(2):
        body = wire.block_action(
            edit["action_id"], edit["value"], slack_rig.slack.response_url(f"e{n}")
        )
        assert (await slack_rig.post(body)).status == 200
    opened = await slack_rig.slack.wait_for("views.open", count=2)
    assert [call.body["view"]["callback_id"] for call in opened] == ["offer.edit", "offer.edit"]


async def test_a_home_tab_button_answers_by_direct_message(slack_rig: SlackRig) -> None:
    await slack_rig.command(OFFER)
    [answer] = await slack_rig.slack.wait_for("response:r1")
    withdraw = slack_button(answer.body, "Withdraw")
    body, _ = wire.block_action(withdraw["action_id"], withdraw["value"], "")
    payload = json.loads(dict(parse_qsl(body))["payload"])
    payload.pop("response_url")
    payload["container"] = {"type": "view", "view_id": "VHOME"}
    payload["view"] = {"id": "VHOME", "type": "home"}
    assert (await slack_rig.post(wire.interactive(payload))).status == 200
    [dm] = await slack_rig.slack.wait_for("chat.postMessage")
    assert "withdrawn" in dm.body["text"]


async def test_a_chart_is_uploaded_then_shown_in_the_same_message_as_its_text(
    slack_rig: SlackRig,
) -> None:
    png = base64.b64decode(ONE_PIXEL_PNG)
    chart = Image("Offers against targets", "PT: 12 of 39 offered; OT: 5 of 23", ONE_PIXEL_PNG)
    reply = Reply(text="Weekly summary: 12 of 39 PT placements offered.", image=chart)
    await slack_edge(slack_rig).send_to_user("U0001", reply)
    [posted] = slack_rig.slack.named("chat.postMessage")
    [asked] = slack_rig.slack.named("files.getUploadURLExternal")
    [uploaded] = slack_rig.slack.named("upload")
    [completed] = slack_rig.slack.named("files.completeUploadExternal")
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
    # Slack processes an upload asynchronously: the message waits until files.info says it is done.
    asked_info = slack_rig.slack.named("files.info")
    assert len(asked_info) >= 2  # the fake shows the file unprocessed at first
    assert {call.body["file"] for call in asked_info} == {uploaded.body["file_id"]}
    assert completed.at <= asked_info[0].at and asked_info[-1].at <= posted.at
