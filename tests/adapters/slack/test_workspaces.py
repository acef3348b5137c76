"""SLACK_TEAM_IDS: only the listed workspaces are served; any other gets 403 and nothing is stored.

Signed wire-format requests go into the real slack-bolt app; the signature is still checked
first, so a forged request from an outside workspace is 401 as before.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlalchemy import func, select

from adapters.slack import blocks
from bot.kernel.clock import FixedClock
from config.settings import Settings
from storage.tables import Base
from tests.support import slack_wire as wire
from tests.support.chat import Chat, button
from tests.support.slack_rig import SlackRig, slack_server

OFFER = "offer physio 1 Feb - 12 Mar 2027 2 students at Ward 12, Kings Mill Hospital"
GOOD_OFFER = {
    "profession": "PT",
    "start": "1 Feb 2027",
    "end": "12 Mar 2027",
    "capacity": "2",
    "place": "Ward 12, Kings Mill Hospital",
    "supervision_model": "2:1",
}
OTHER = "T0999"  # a workspace that is listed; the wire's own T0001 then is not
RECORDED = {"people", "identities", "inbound_receipts", "placement_offers", "audit_events"}


async def rows(chat: Chat) -> dict[str, int]:
    """How many rows every table holds."""
    async with chat.bot.sessions() as session:
        return {
            table.name: (
                await session.execute(select(func.count()).select_from(table))
            ).scalar_one()
            for table in Base.metadata.sorted_tables
        }


def with_fields(body_and_type: tuple[str, str], **fields: str) -> tuple[str, str]:
    """A form-encoded request with fields added (as Slack Enterprise Grid adds enterprise_id)."""
    body, content_type = body_and_type
    return urlencode([*parse_qsl(body), *fields.items()]), content_type


async def slash_command(rig: SlackRig, chat: Chat) -> tuple[str, str]:
    return wire.slash_command("/placement", OFFER, rig.slack.response_url("r1"))


async def button_press(rig: SlackRig, chat: Chat) -> tuple[str, str]:
    """ "No capacity" on a real block: served, it stores an answer."""
    pressed = button(
        (await chat.say("stroke-physio", "placement blocks PT")).items[0], "No capacity"
    )
    return wire.block_action(f"{pressed.action}:0", pressed.value, rig.slack.response_url("r1"))


async def form_submission(rig: SlackRig, chat: Chat) -> tuple[str, str]:
    """The offer form filled in: served, it stores an offer."""
    reply = await chat.say("stroke-physio", "placement offer")
    assert reply.form is not None
    return wire.view_submission(blocks.modal(reply.form, reply.text), GOOD_OFFER, view_id="V1")


async def home_opened(rig: SlackRig, chat: Chat) -> tuple[str, str]:
    return wire.event(
        {"type": "app_home_opened", "user": "U0001", "channel": "D0001", "tab": "home"}
    )


PAYLOADS: dict[str, Callable[[SlackRig, Chat], Any]] = {
    "slash command": slash_command,
    "block_actions": button_press,
    "view_submission": form_submission,
    "event": home_opened,
}

ANSWERED_BY = {
    "slash command": "response:r1",
    "block_actions": "response:r1",
    "view_submission": "chat.postMessage",
    "event": "views.publish",
}


@pytest.mark.parametrize("kind", PAYLOADS)
async def test_a_request_from_a_listed_workspace_is_served_as_before(
    settings: Settings, clock: FixedClock, chat: Chat, kind: str
) -> None:
    async with slack_server(settings, clock, chat, slack_team_ids={OTHER, wire.TEAM}) as rig:
        sent = await PAYLOADS[kind](rig, chat)
        before = await rows(chat)
        response = await rig.post(sent)
        assert response.status == 200
        await rig.slack.wait_for(ANSWERED_BY[kind])
        after = await rows(chat)
    assert after["people"] == before["people"] + 1  # the Slack user, met for the first time
    assert after["identities"] == before["identities"] + 1
    if kind in ("slash command", "view_submission"):
        assert after["placement_offers"] == before["placement_offers"] + 1
    if kind == "block_actions":
        assert after["capacity_answers"] == before["capacity_answers"] + 1


@pytest.mark.parametrize("kind", PAYLOADS)
async def test_a_request_from_another_workspace_gets_403_and_stores_nothing(
    settings: Settings, clock: FixedClock, chat: Chat, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with slack_server(settings, clock, chat, slack_team_ids={OTHER}) as rig:
        sent = await PAYLOADS[kind](rig, chat)
        before = await rows(chat)
        with caplog.at_level(logging.WARNING, logger="adapters.slack.app"):
            response = await rig.post(sent)
        assert response.status == 403
        assert await response.json() == {"error": "this workspace is not served here"}
        await asyncio.sleep(0.3)
        assert await rows(chat) == before
        assert set(before) >= RECORDED
        assert rig.slack.calls == []  # not even users.info or auth.test
    [refusal] = [r for r in caplog.records if r.name == "adapters.slack.app"]
    assert refusal.levelno == logging.WARNING
    assert wire.TEAM in refusal.getMessage() and "U0001" not in refusal.getMessage()


async def test_a_payload_naming_no_workspace_is_refused_without_crashing(
    settings: Settings, clock: FixedClock, chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    """An org-wide Enterprise Grid install may send `team: null` and only an enterprise."""
    async with slack_server(settings, clock, chat, slack_team_ids={wire.TEAM}) as rig:
        pressed = button(
            (await chat.say("stroke-physio", "placement blocks PT")).items[0], "No capacity"
        )
        body, _ = wire.block_action(
            f"{pressed.action}:0", pressed.value, rig.slack.response_url("r1")
        )
        payload = json.loads(dict(parse_qsl(body))["payload"])
        payload |= {"team": None, "enterprise": {"id": "E0001", "name": "NHS"}}
        payload["user"].pop("team_id")
        before = await rows(chat)
        with caplog.at_level(logging.WARNING, logger="adapters.slack.app"):
            response = await rig.post(wire.interactive(payload))
        assert response.status == 403
        await asyncio.sleep(0.2)
        assert await rows(chat) == before
        assert rig.slack.calls == []
    assert len([r for r in caplog.records if r.name == "adapters.slack.app"]) == 1


async def test_an_enterprise_id_beside_a_listed_team_is_served(
    settings: Settings, clock: FixedClock, chat: Chat
) -> None:
    async with slack_server(settings, clock, chat, slack_team_ids={wire.TEAM}) as rig:
        sent = with_fields(await slash_command(rig, chat), enterprise_id="E0001")
        assert (await rig.post(sent)).status == 200
        [answer] = await rig.slack.wait_for("response:r1")
    assert "is in the register" in answer.body["text"]


async def test_an_empty_list_serves_any_workspace(
    settings: Settings, clock: FixedClock, chat: Chat
) -> None:
    async with slack_server(settings, clock, chat, slack_team_ids=frozenset()) as rig:
        await rig.command(OFFER)
        [answer] = await rig.slack.wait_for("response:r1")
    assert "is in the register" in answer.body["text"]


async def test_a_forged_request_from_another_workspace_is_still_401(
    settings: Settings, clock: FixedClock, chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    async with slack_server(settings, clock, chat, slack_team_ids={OTHER}) as rig:
        body, content_type = await slash_command(rig, chat)
        before = await rows(chat)
        with caplog.at_level(logging.WARNING, logger="adapters.slack.app"):
            response = await rig.post(
                (body, content_type), wire.signed_headers(body, secret="not-the-secret")
            )
        assert response.status == 401
        await asyncio.sleep(0.2)
        assert await rows(chat) == before
        assert rig.slack.calls == []
    assert [r for r in caplog.records if r.name == "adapters.slack.app"] == []


async def test_slack_still_checks_the_url_when_workspaces_are_listed(
    settings: Settings, clock: FixedClock, chat: Chat
) -> None:
    body = json.dumps({"token": "x", "challenge": "3eZbrw1aBm2r", "type": "url_verification"})
    async with slack_server(settings, clock, chat, slack_team_ids={OTHER}) as rig:
        response = await rig.post((body, "application/json"))
        assert response.status == 200
        assert (await response.json())["challenge"] == "3eZbrw1aBm2r"


def test_slack_team_ids_are_read_from_the_environment_as_a_comma_separated_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_TEAM_IDS", " T0001, T0002 ,,")
    assert Settings(_env_file=None).slack_team_ids == {"T0001", "T0002"}  # type: ignore[call-arg]
    monkeypatch.setenv("SLACK_TEAM_IDS", "")
    assert Settings(_env_file=None).slack_team_ids == frozenset()  # type: ignore[call-arg]
    monkeypatch.delenv("SLACK_TEAM_IDS")
    assert Settings(_env_file=None).slack_team_ids == frozenset()  # type: ignore[call-arg]
