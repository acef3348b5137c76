"""Outbound to the Bot Connector with one async HTTP session and one cached app token.

botbuilder's own path builds new credentials and clients for every turn and fetches tokens with
synchronous calls on the event loop; here the token is fetched once (asynchronously, one request
at a time) and reused until shortly before it expires, and 429s are retried after Retry-After.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

from aiohttp import ClientSession, ClientTimeout

from adapters.teams.identity import is_loopback

RETRIES = 3
EARLY_REFRESH = 300  # seconds before expiry at which a token is renewed
PERSONAL_CACHE_SIZE = 10_000  # 1:1 conversation ids this process has been given


def retry_after(header: str | None) -> float:
    """Seconds to wait, from Retry-After as seconds or as an HTTP date; 1 when unreadable."""
    if not header:
        return 1.0
    try:
        return max(0.0, float(header))
    except ValueError:
        try:
            return max(0.0, (parsedate_to_datetime(header) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return 1.0


class ConnectorError(Exception):
    """The Bot Connector refused a message or a look-up."""


class AppToken:
    """An OAuth client-credentials token for the bot's app id, cached until near expiry."""

    def __init__(self, app_id: str, password: str, token_url: str) -> None:
        self.app_id = app_id
        self.password = password
        self.token_url = token_url
        self._token = ""
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def get(self, session: ClientSession) -> str:
        if time.monotonic() < self._expires:
            return self._token
        async with self._lock:  # one fetch, however many turns are waiting
            if time.monotonic() >= self._expires:
                await self._fetch(session)
        return self._token

    async def _fetch(self, session: ClientSession) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.app_id,
            "client_secret": self.password,
            "scope": "https://api.botframework.com/.default",
        }
        async with session.post(self.token_url, data=form) as response:
            if response.status != 200:
                raise ConnectorError(f"token endpoint answered {response.status}")
            body = await response.json()
        self._token = body["access_token"]
        self._expires = time.monotonic() + int(body.get("expires_in", 3600)) - EARLY_REFRESH


class Connector:
    """Posts activities to a conversation; one instance (and one session) for the process.

    With `loopback_only` (unauthenticated Teams, where any request can name any serviceUrl)
    it calls nothing but this machine."""

    def __init__(self, token: AppToken | None, loopback_only: bool = False) -> None:
        self.token = token
        self.loopback_only = loopback_only
        self._session: ClientSession | None = None
        self._personal: dict[tuple[str, str, str], str] = {}
        self._opening = asyncio.Lock()

    @classmethod
    def open(cls, app_id: str | None, password: str | None, token_url: str) -> Connector:
        token = AppToken(app_id, password, token_url) if app_id and password else None
        return cls(token, loopback_only=not app_id)

    @property
    def session(self) -> ClientSession:
        """Made on first use, inside the running event loop, then kept for the process."""
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=30))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(
        self,
        service_url: str,
        conversation_id: str,
        activity: dict[str, Any],
        reply_to: str | None = None,
    ) -> dict[str, Any]:
        path = f"v3/conversations/{quote(conversation_id, safe='')}/activities"
        if reply_to:
            path += f"/{quote(reply_to, safe='')}"
        return await self._call("POST", service_url.rstrip("/") + "/" + path, activity)

    async def member(self, service_url: str, conversation_id: str, user_id: str) -> dict[str, Any]:
        """One member's record in a conversation (`email`, `userPrincipalName`, names)."""
        path = (
            f"v3/conversations/{quote(conversation_id, safe='')}/members/{quote(user_id, safe='')}"
        )
        return await self._call("GET", service_url.rstrip("/") + "/" + path)

    async def personal_conversation(
        self, service_url: str, bot: dict[str, Any], user: dict[str, Any], tenant: str
    ) -> str:
        """The id of `user`'s 1:1 conversation with the bot (`POST /v3/conversations`): Teams
        makes it the first time and answers with the same one after; kept for the process."""
        user_id = str(user.get("id") or "")
        if not (service_url and user_id):
            raise ConnectorError("no service URL or user to open a 1:1 conversation with")
        key = (service_url, tenant, user_id)
        async with self._opening:  # rare (once a person a process): one at a time, none twice
            if known := self._personal.get(key):
                return known
            conversation_id = await self._open(service_url, bot, user_id, tenant)
            if len(self._personal) >= PERSONAL_CACHE_SIZE:
                self._personal.clear()
            self._personal[key] = conversation_id
        return conversation_id

    async def _open(self, service_url: str, bot: dict[str, Any], user_id: str, tenant: str) -> str:
        body = {
            "bot": {"id": bot.get("id"), "name": bot.get("name")},
            "members": [{"id": user_id}],
            "isGroup": False,
            "tenantId": tenant,
            "channelData": {"tenant": {"id": tenant}},
        }
        answer = await self._call("POST", service_url.rstrip("/") + "/v3/conversations", body)
        conversation_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(conversation_id, str) or not conversation_id:
            raise ConnectorError("the Bot Connector made a 1:1 conversation but gave no id")
        return conversation_id

    async def _call(
        self, method: str, url: str, payload: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        if self.loopback_only and not is_loopback(url):
            raise ConnectorError(
                f"{url} is not this machine: unauthenticated Teams answers locally"
            )
        token = await self.token.get(self.session) if self.token else None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for attempt in range(RETRIES + 1):
            async with self.session.request(method, url, json=payload, headers=headers) as response:
                if response.status == 429 and attempt < RETRIES:
                    await asyncio.sleep(retry_after(response.headers.get("Retry-After")))
                    continue
                if response.status >= 400:
                    raise ConnectorError(f"{url} answered {response.status}")
                return await response.json(content_type=None) or {}
        raise ConnectorError(f"{url} kept answering 429")
