"""Teams activities in the wire format the Bot Framework posts to /api/messages."""

from __future__ import annotations

import itertools
from typing import Any

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
APP_ID = "c9e8c047-2a74-40a2-b28a-b162d5f5327c"
BOT_ID = f"28:{APP_ID}"
CHANNEL = "19:abc@thread.skype;messageid=1481567603816"  # a post in a team's channel
_ids = itertools.count(1)


def user(n: int = 1) -> dict[str, Any]:
    return {
        "id": f"29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkKilBZ9XHoq9j7Zaqt7CZ-NJWi7me2kHTL3Bw{n}",
        "name": f"Occupational Therapist {n}",
        "aadObjectId": f"6be4bc6d-bd55-4a3b-8b0c-4b1d3b0f0f0{n}",
    }


def message(
    service_url: str,
    text: str = "",
    value: dict[str, Any] | None = None,
    *,
    conversation: str = "a:1personal",
    activity_id: str | None = None,
    n: int = 1,
    channel: bool = False,
) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "type": "message",
        "id": activity_id or f"1481567603816{next(_ids)}",
        "timestamp": "2026-11-23T10:00:00.000Z",
        "localTimestamp": "2026-11-23T10:00:00.000+00:00",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": user(n),
        "conversation": {
            "conversationType": "channel" if channel else "personal",
            "tenantId": TENANT,
            "id": conversation,
            **({"isGroup": True} if channel else {}),
        },
        "recipient": {"id": BOT_ID, "name": "PlaceBot"},
        "textFormat": "plain",
        "locale": "en-GB",
        "text": text,
        "channelData": {"tenant": {"id": TENANT}},
        "entities": [
            {
                "type": "clientInfo",
                "locale": "en-GB",
                "country": "GB",
                "platform": "Web",
                "timezone": "Europe/London",
            }
        ],
    }
    if channel:
        activity["channelData"] |= {
            "teamsChannelId": "19:abc@thread.skype",
            "teamsTeamId": "19:abc@thread.skype",
        }
        activity["entities"].append(
            {
                "type": "mention",
                "mentioned": {"id": BOT_ID, "name": "PlaceBot"},
                "text": "<at>PlaceBot</at>",
            }
        )
    if value is not None:
        activity["value"] = value
    return activity


def execute(
    service_url: str, data: dict[str, Any], verb: str = "", n: int = 1, **where: Any
) -> dict[str, Any]:
    """A card's Action.Execute; `where` as for `message` (`channel=True, conversation=...`)."""
    activity = message(service_url, n=n, **where)
    activity.update(type="invoke", name="adaptiveCard/action", text=None)
    activity["value"] = {
        "action": {"type": "Action.Execute", "verb": verb, "data": data},
        "trigger": "manual",
    }
    return activity


def installed(service_url: str, n: int = 1) -> dict[str, Any]:
    activity = message(service_url, n=n)
    activity.update(
        type="conversationUpdate", membersAdded=[{"id": BOT_ID}, {"id": user(n)["id"]}], text=None
    )
    return activity
