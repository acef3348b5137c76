"""Private answers and proactive messages go to the person's 1:1 chat with the bot.

A team channel or a group chat is read by everyone in it, so nothing the core marks private
goes there: a channel @mention gets a public answer in the channel, and a private one by 1:1
(the channel is told where it went). The reference kept for proactive messages is only ever a
1:1 one; for someone met in a channel, the connector makes (or finds: Teams keeps one per person
and bot) their 1:1 first.
"""

from __future__ import annotations

from typing import Any

from adapters.teams import cards
from adapters.teams.connector import Connector
from adapters.teams.identity import part
from bot.kernel.messages import Reply

ANSWERED_PRIVATELY = "I've answered you in our 1:1 chat."


def is_personal(holder: dict[str, Any]) -> bool:
    """Whether the conversation of an activity (or of a reference) is a 1:1 with the bot:
    Teams says `personal`; the Emulator says nothing, and a chat of its is never a group."""
    conversation = part(holder, "conversation")
    kind = conversation.get("conversationType")
    if kind:
        return kind == "personal"
    return not conversation.get("isGroup") and "@thread" not in str(conversation.get("id") or "")


def reference_of(activity: dict[str, Any]) -> dict[str, Any]:
    """What a later proactive message needs: where the conversation lives and who is in it."""
    return {
        "serviceUrl": activity.get("serviceUrl"),
        "channelId": activity.get("channelId"),
        "conversation": activity.get("conversation"),
        "bot": activity.get("recipient"),
        "user": activity.get("from"),
    }


async def personal_reference(
    connector: Connector, reference: dict[str, Any], tenant: str
) -> dict[str, Any]:
    """`reference` when it is a 1:1 already, else the same person's 1:1 with the bot.
    Raises ConnectorError (or aiohttp's errors) when the connector cannot make it."""
    if is_personal(reference):
        return reference
    conversation_id = await connector.personal_conversation(
        str(reference.get("serviceUrl") or ""),
        part(reference, "bot"),
        part(reference, "user"),
        tenant,
    )
    conversation = {"id": conversation_id, "conversationType": "personal", "tenantId": tenant}
    return {**reference, "conversation": conversation}


def envelope(reference: dict[str, Any]) -> dict[str, Any]:
    """A new message in the reference's conversation (not an answer to one)."""
    return {
        "type": "message",
        "from": reference.get("bot"),
        "recipient": reference.get("user"),
        "conversation": reference.get("conversation"),
    }


def messages(
    reference: dict[str, Any], reply: Reply, chart_url: str | None = None, whole: bool = False
) -> list[dict[str, Any]]:
    """`reply` as messages Teams takes: one cut to fit, or (`whole`) all it takes."""
    return cards.activities(envelope(reference), reply, chart_url, whole)


def message(reference: dict[str, Any], reply: Reply) -> dict[str, Any]:
    """`reply` as one new message in the reference's conversation, cut to fit."""
    return messages(reference, reply)[0]


async def send(
    connector: Connector,
    reference: dict[str, Any],
    reply: Reply,
    chart_url: str | None = None,
    whole: bool = False,
) -> None:
    """A message to the person of a 1:1 reference; a digest or summary (`whole`) too long
    for one goes on in further messages, in order."""
    for message in messages(reference, reply, chart_url, whole):
        await connector.send(
            str(reference.get("serviceUrl") or ""),
            str(part(reference, "conversation").get("id")),
            message,
        )
