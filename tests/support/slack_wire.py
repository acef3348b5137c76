"""Slack's wire formats: slash commands, block_actions, view_submission and events, signed as Slack signs."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T0001"


def signed_headers(
    body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def slash_command(
    command: str,
    text: str,
    response_url: str,
    user: str = "U0001",
    trigger: str = "13345224609.738474920.8088930838d88f008e0",
    team: str = TEAM,
    user_name: str | None = None,
) -> tuple[str, str]:
    body = urlencode(
        {
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "team_id": team,
            "team_domain": "nhs-ahp",
            "channel_id": "C2147483705",
            "channel_name": "physio",
            "user_id": user,
            "user_name": user.lower() if user_name is None else user_name,
            "command": command,
            "text": text,
            "api_app_id": "A123456",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger,
        }
    )
    return body, "application/x-www-form-urlencoded"


def interactive(payload: dict[str, Any]) -> tuple[str, str]:
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def _block_actions(
    user: str,
    container: dict[str, Any],
    channel: dict[str, str],
    response_url: str,
    action: dict[str, Any],
    action_ts: str,
    **more: Any,
) -> tuple[str, str]:
    """A `block_actions` payload: one button press, in the shape Slack sends it."""
    return interactive(
        {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "nhs-ahp"},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
            "api_app_id": "A123456",
            "token": "9s8d9as89d8as9d8as989",
            "container": container,
            "trigger_id": f"{action_ts}.trigger",
            "channel": channel,
            **more,
            "response_url": response_url,
            "actions": [{"block_id": "b1", "type": "button", "action_ts": action_ts, **action}],
        }
    )


def block_action(
    action_id: str,
    value: str,
    response_url: str,
    user: str = "U0001",
    message_ts: str = "1548261231.000200",
    action_ts: str = "1548426417.840180",
) -> tuple[str, str]:
    """A button pressed in an ephemeral answer the bot gave in a channel."""
    return _block_actions(
        user,
        {
            "type": "message_attachment",
            "message_ts": message_ts,
            "channel_id": "C2147483705",
            "is_ephemeral": True,
        },
        {"id": "C2147483705", "name": "physio"},
        response_url,
        {
            "action_id": action_id,
            "text": {"type": "plain_text", "text": "Button", "emoji": True},
            "value": value,
        },
        action_ts,
    )


def view_submission(
    view: dict[str, Any], values: dict[str, str], view_id: str = "VMHU10V25", user: str = "U0001"
) -> tuple[str, str]:
    """A modal submitted with `values`, in the state shape Slack sends for the modal's inputs."""
    state: dict[str, dict[str, Any]] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        name = block["block_id"]
        value = values.get(name, element.get("initial_value", ""))
        if element["type"] == "static_select":
            chosen = values.get(name, (element.get("initial_option") or {}).get("value"))
            option = (
                None
                if not chosen
                else {"text": {"type": "plain_text", "text": chosen}, "value": chosen}
            )
            state[name] = {
                element["action_id"]: {"type": "static_select", "selected_option": option}
            }
        else:
            state[name] = {
                element["action_id"]: {"type": "plain_text_input", "value": value or None}
            }
    return interactive(
        {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "nhs-ahp"},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
            "api_app_id": "A123456",
            "token": "9s8d9as89d8as9d8as989",
            "trigger_id": "12466734323.1395872398.trigger",
            "view": {
                "id": view_id,
                "team_id": TEAM,
                "type": "modal",
                "blocks": view["blocks"],
                "private_metadata": view.get("private_metadata", ""),
                "callback_id": view["callback_id"],
                "state": {"values": state},
                "hash": "156663117.cd33ad1f",
                "title": view["title"],
            },
            "response_urls": [],
        }
    )


def event(inner: dict[str, Any], event_id: str = "Ev0PV52K21") -> tuple[str, str]:
    return (
        json.dumps(
            {
                "token": "z26uFbvR1xHJEdHE1OQiO6t8",
                "team_id": TEAM,
                "api_app_id": "A123456",
                "event": inner,
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
            }
        ),
        "application/json",
    )


def dm_block_action(
    button: dict[str, Any],
    message: dict[str, Any],
    channel: str,
    response_url: str,
    user: str = "U0001",
    action_ts: str = "1548426417.840180",
) -> tuple[str, str]:
    """A button pressed in a message the bot posted to a DM, as Slack sends it: the container
    is the bot's message (not ephemeral) in the D channel, and the message comes along."""
    return _block_actions(
        user,
        {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel,
            "is_ephemeral": False,
        },
        {"id": channel, "name": "directmessage"},
        response_url,
        {
            "action_id": button["action_id"],
            "text": button["text"],
            "value": button["value"],
            "style": button.get("style"),
        },
        action_ts,
        message={"type": "message", "user": "UBOT", "bot_id": "B0001", **message},
        state={"values": {}},
    )
