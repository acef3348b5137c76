"""The outbox's Slack channel: a DM to the person, on slack_sdk's Web API client alone.

The worker needs no bolt app to send. Each message carries the outbox's dedupe key in its
message metadata, so that after a try whose answer never came `delivered` can look in the DM
before sending again. Slack's answers become the outbox's: a 429 is `RateLimited` (the outbox
slows Slack for every send), a person Slack cannot reach is `Unreachable`, anything else is
tried again later.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from aiohttp import ClientSession
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.slack import blocks, images
from bot.delivery.channels import Unreachable, identities_on, identity_on
from bot.delivery.sender import RateLimited
from bot.kernel.messages import Reply
from config.settings import Settings

log = logging.getLogger(__name__)

# Outbox messages carry their dedupe key in Slack message metadata under this event type.
DELIVERY_EVENT = "placebot_delivery"
HISTORY_LOOKBACK = 20
# Slack errors that mean this person cannot be reached, however often we try.
GONE = {"user_not_found", "account_inactive", "cannot_dm_bot", "user_disabled"}


def outbox_client(settings: Settings) -> AsyncWebClient:
    """The outbox's client retries nothing by itself: a 429 goes back to the outbox, whose pace
    for Slack then slows for every send, and a repeated post could arrive twice."""
    return AsyncWebClient(
        token=settings.slack_bot_token, base_url=settings.slack_api_url, retry_handlers=[]
    )


def rate_limited(error: SlackApiError) -> RateLimited | None:
    """Slack's 429 as the outbox's RateLimited, with the Retry-After Slack asked for."""
    if error.response.status_code != 429:
        return None
    headers = {k.lower(): v for k, v in (error.response.headers or {}).items()}
    value = headers.get("retry-after", "1")
    value = value[0] if isinstance(value, list) else value
    try:
        return RateLimited(float(value))
    except ValueError:
        return RateLimited(1.0)


class DirectMessages:
    """DMs through one Web API client: each DM opened once. A reply too long for one message
    goes as a head message (text, facts, buttons and chart) and follow-ups in the same DM; the
    outbox's key rides on the last, so `delivered` finds it only when all have gone."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        # Slack user -> DM channel id; a DM's id never changes, so a fan-out costs one call each.
        self.channels: dict[str, str] = {}

    async def open(self, user_id: str) -> str:
        """The DM channel with the person: conversations.open once, then from memory."""
        channel = self.channels.get(user_id)
        if channel is None:
            opened = await self.client.conversations_open(users=user_id)
            channel = str((opened.get("channel") or {}).get("id"))
            self.channels[user_id] = channel
        return channel

    def forget(self, user_id: str) -> None:
        self.channels.pop(user_id, None)

    async def post(
        self, user_id: str, reply: Reply, metadata: dict[str, Any] | None = None
    ) -> None:
        channel = await self.open(user_id)
        parts = blocks.parts(reply)
        for number, part in enumerate(parts, start=1):
            last = number == len(parts)
            extra: dict[str, Any] = {"metadata": metadata} if metadata and last else {}
            await self.post_one(channel, part, extra)

    async def post_one(self, channel: str, reply: Reply, extra: dict[str, Any]) -> None:
        """One message, with its chart uploaded first (and processed) so that text and chart
        post as one; without it, and saying so, when the chart cannot be attached."""
        message = blocks.message(reply)
        if reply.image is None:
            await self.client.chat_postMessage(channel=channel, **message, **extra)
            return
        without = {**message, "blocks": [*message["blocks"], blocks.note(images.NOT_ATTACHED)]}
        block = await images.attached(self.client, reply.image)
        if block is None:
            await self.client.chat_postMessage(channel=channel, **without, **extra)
            return
        message["blocks"].insert(1, block)
        try:
            await self.client.chat_postMessage(channel=channel, **message, **extra)
        except SlackApiError as error:
            if error.response.get("error") != "invalid_blocks":
                raise
            log.warning("Slack refused the chart's image block; the text goes without it")
            await self.client.chat_postMessage(channel=channel, **without, **extra)


class SlackChannel:
    """The core's `Channel` (with `DeliveryCheck` and `Prefetch`) for Slack."""

    name = "slack"

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self.sessions = sessions
        self.client = outbox_client(settings)
        self.dms = DirectMessages(self.client)
        self.slack_users: dict[int, str] = {}  # person -> Slack user id (identities never move)

    async def send(self, person_id: int, reply: Reply, key: str | None = None) -> None:
        """A direct message to the person's Slack identity, carrying the outbox's key in its
        metadata so that `delivered` can find it."""
        user_id = await self._slack_user(person_id)
        metadata = {"event_type": DELIVERY_EVENT, "event_payload": {"key": key}} if key else None
        try:
            await self.dms.post(user_id, reply, metadata)
        except SlackApiError as error:
            raise self._translated(error, person_id, user_id) from error

    async def delivered(self, person_id: int, key: str) -> bool:
        """Whether the DM's recent messages include one sent with this outbox key."""
        user_id = await self._slack_user(person_id)
        try:
            channel = await self.dms.open(user_id)
            history = await self.client.conversations_history(
                channel=channel, limit=HISTORY_LOOKBACK, include_all_metadata=True
            )
        except SlackApiError as error:
            if error.response.get("error") == "missing_scope":  # an app installed before im:history
                log.warning("Slack: add the im:history scope, or a resend after a crash may repeat")
                return False
            raise self._translated(error, person_id, user_id) from error
        for message in history.get("messages") or []:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == DELIVERY_EVENT and (
                (metadata.get("event_payload") or {}).get("key") == key
            ):
                return True
        return False

    async def prefetch(self, person_ids: Collection[int]) -> None:
        """The Slack users of a claim's people, in one query."""
        missing = [p for p in person_ids if p not in self.slack_users]
        if missing:
            async with self.sessions() as session:
                self.slack_users |= await identities_on(session, missing, "slack")
        if self.client.session is None:  # one connection pool for the outbox's calls
            self.client.session = ClientSession()

    async def close(self) -> None:
        if self.client.session is not None:
            await self.client.session.close()
            self.client.session = None

    async def _slack_user(self, person_id: int) -> str:
        if (user := self.slack_users.get(person_id)) is None:
            async with self.sessions() as session:
                user = (await identity_on(session, person_id, "slack")).external_id
            self.slack_users[person_id] = user
        return user

    def _translated(self, error: SlackApiError, person_id: int, user_id: str) -> Exception:
        """Slack's answers as the outbox understands them: wait, give up on this person, or
        (anything else) try again later."""
        if (limited := rate_limited(error)) is not None:
            return limited
        code = str(error.response.get("error", ""))
        if code == "channel_not_found":  # the DM we remembered is gone: open it afresh
            self.dms.forget(user_id)
        if code in GONE:
            return Unreachable(f"Slack cannot reach person {person_id}: {code}")
        return error
