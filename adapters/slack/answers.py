"""Answers that outlive a crash: an answer kept with its delivery's receipt and due at a Slack
response_url (a late command's, a button's) is sent again by the web process that starts next,
within the 30 minutes a response_url takes answers. At least once: an answer that went just
before its process died may go twice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from aiohttp import ClientError, web
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters import periodic
from adapters.slack import blocks
from bot.chat.placebot import PlaceBot

log = logging.getLogger(__name__)

RESEND_EVERY_SECONDS = 5.0


async def resend_due(bot: PlaceBot) -> int:
    """Send the kept answers not yet given; how many went."""
    sent = 0
    for key, url, reply in await bot.answers.waiting("slack:"):
        kind = "ephemeral" if reply.private else "in_channel"
        try:
            response = await AsyncWebhookClient(url).send(
                response_type=kind, **blocks.message(reply)
            )
        except (ClientError, TimeoutError) as error:
            log.warning("Slack answer %s not sent again yet: %s", key, error)
            continue
        if response.status_code >= 500:
            log.warning("Slack answer %s not sent again yet: HTTP %s", key, response.status_code)
            continue
        if response.status_code >= 400:  # expired or used: nothing more can be done
            log.warning("Slack refused answer %s: HTTP %s", key, response.status_code)
        else:
            sent += 1
        await bot.answers.given(key)
    return sent


def resending(bot: PlaceBot) -> Callable[[web.Application], AbstractAsyncContextManager[None]]:
    """From start-up on, every few seconds, for as long as the server runs."""

    async def once() -> None:
        if sent := await resend_due(bot):
            log.info("Slack: sent %d answers again that a stop had left unsent", sent)

    return periodic.every(RESEND_EVERY_SECONDS, once, "Slack: sending kept answers")
