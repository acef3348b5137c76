"""A fake Bot Connector (and token endpoint) on loopback that records what the bot sends.

async with FakeConnector() as connector:
    activity["serviceUrl"] = connector.service_url
    ...
    [sent] = await connector.wait_for(1)
    assert sent.body["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Sent:
    path: str
    body: dict[str, Any]
    authorization: str
    user_agent: str = ""
    at: float = field(default_factory=time.monotonic)


class FakeConnector:
    def __init__(self, token_delay: float = 0.0) -> None:
        self.sent: list[Sent] = []
        self.token_requests = 0
        self.token_delay = token_delay
        self._limits: list[int] = []
        self._ids = itertools.count(1)
        self._arrived = asyncio.Condition()
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities", self._activity)
        app.router.add_post(
            "/v3/conversations/{conversation}/activities/{reply_to}", self._activity
        )
        app.router.add_post("/v3/conversations", self._activity)
        app.router.add_post("/token", self._token)
        self.server = TestServer(app, host="127.0.0.1")

    async def __aenter__(self) -> FakeConnector:
        await self.server.start_server()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.server.close()

    @property
    def service_url(self) -> str:
        return str(self.server.make_url("/"))

    @property
    def token_url(self) -> str:
        return str(self.server.make_url("/token"))

    def rate_limit(self, retry_after: int = 1) -> None:
        self._limits.append(retry_after)

    async def _activity(self, request: web.Request) -> web.Response:
        if self._limits:
            return web.json_response(
                {}, status=429, headers={"Retry-After": str(self._limits.pop(0))}
            )
        sent = Sent(
            request.path,
            await request.json(),
            request.headers.get("Authorization", ""),
            request.headers.get("User-Agent", ""),
        )
        async with self._arrived:
            self.sent.append(sent)
            self._arrived.notify_all()
        self.arrived(sent)
        return web.json_response({"id": f"activity-{next(self._ids)}"}, status=201)

    def arrived(self, sent: Sent) -> None:
        """A hook for benchmarks that wait for particular replies."""

    async def _token(self, _request: web.Request) -> web.Response:
        self.token_requests += 1
        await asyncio.sleep(self.token_delay)
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3599, "access_token": "fake-app-token"}
        )

    async def wait_for(self, count: int) -> list[Sent]:
        async with asyncio.timeout(5), self._arrived:
            await self._arrived.wait_for(lambda: len(self.sent) >= count)
        return self.sent
