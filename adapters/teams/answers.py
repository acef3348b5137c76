"""Replies that outlive a crash: a message's reply is kept with its receipt, with where it goes
(the service URL, the conversation and the parties, `respond_to`), until the connector took it;
the web process that starts next sends again what a stop left unsent, for 30 minutes. At least
once: a reply sent just before its process died may go twice. A private reply to a message in a
channel or group chat goes to the person's 1:1 chat (`adapters.teams.personal`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from aiohttp import ClientError, web

from adapters import periodic
from adapters.charts import ChartLinks
from adapters.teams import cards, personal
from adapters.teams.connector import Connector, ConnectorError
from adapters.teams.identity import tenant_of
from bot.chat.placebot import PlaceBot
from bot.kernel.messages import Reply

log = logging.getLogger(__name__)

RESEND_EVERY_SECONDS = 5.0
_ENVELOPE = ("type", "serviceUrl", "channelId", "conversation", "from", "recipient", "id")


def respond_to(activity: dict[str, Any]) -> str:
    """What a reply to `activity` needs of it, as kept with the receipt."""
    envelope = {name: activity.get(name) for name in _ENVELOPE}
    return json.dumps(envelope | {"tenant": tenant_of(activity)})


def reply_envelope(activity: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "from": activity.get("recipient"),
        "recipient": activity.get("from"),
        "conversation": activity.get("conversation"),
        "replyToId": activity.get("id"),
    }


def reply_activity(
    activity: dict[str, Any], reply: Reply, chart_url: str | None = None
) -> dict[str, Any]:
    """The answer as one activity, cut to what Teams takes."""
    [answer] = cards.activities(reply_envelope(activity), reply, chart_url)
    return answer


async def send(
    connector: Connector, activity: dict[str, Any], reply: Reply, chart_url: str | None = None
) -> None:
    """The reply in the activity's conversation; a private one to a channel or group chat
    by 1:1, with a line in the conversation saying where it went. One message, cut to fit
    (with a note on what was left out)."""
    if reply.private and not personal.is_personal(activity):
        tenant = str(activity.get("tenant") or "") or tenant_of(activity)
        reference = await personal.personal_reference(
            connector, personal.reference_of(activity), tenant
        )
        await personal.send(connector, reference, reply, chart_url)
        if activity.get("type") == "invoke":
            return  # the presser was told so in the invoke's answer
        reply = Reply(text=personal.ANSWERED_PRIVATELY)
    conversation = activity.get("conversation")
    conversation_id = conversation.get("id", "") if isinstance(conversation, dict) else ""
    await connector.send(
        str(activity.get("serviceUrl") or ""),
        conversation_id,
        reply_activity(activity, reply, chart_url),
        activity.get("id"),
    )


async def resend_due(bot: PlaceBot, connector: Connector) -> int:
    """Send the kept replies not yet sent; how many went."""
    sent = 0
    charts = ChartLinks(bot.sessions, bot.settings, bot.clock)
    for key, kept, reply in await bot.answers.waiting("teams:"):
        try:
            await send(connector, json.loads(kept), reply, await charts.url(reply.image))
        except (ConnectorError, ClientError, TimeoutError, ValueError) as error:
            log.warning("Teams reply %s not sent again yet: %s", key, error)
            continue
        await bot.answers.given(key)
        sent += 1
    return sent


def resending(
    bot: PlaceBot, connector: Connector
) -> Callable[[web.Application], AbstractAsyncContextManager[None]]:
    """From start-up on, every few seconds, for as long as the server runs."""

    async def once() -> None:
        if sent := await resend_due(bot, connector):
            log.info("Teams: sent %d replies again that a stop had left unsent", sent)

    return periodic.every(RESEND_EVERY_SECONDS, once, "Teams: sending kept replies")
