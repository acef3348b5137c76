"""A fake Bot Connector (and token endpoint) on loopback that records what the bot sends.

async with FakeConnector() as connector:
    activity["serviceUrl"] = connector.service_url
    ...
    [sent] = await connector.wait_for(1)
    assert sent.body["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"

1:1 conversations the bot opens (`POST /v3/conversations`) are recorded in `opened` and get
the same id for the same member every time, as in Teams:

    [opened] = connector.opened
    assert opened.body["members"] == [{"id": "29:1abc"}]

Members of conversations, as `GET /v3/conversations/{id}/members/{user}` answers them (404 for
anyone not set; `member_requests` records the look-ups):

    connector.add_member("29:1abc", email="jo.lead@uni.example", name="Jo Lead")
    connector.member_delay = 10  # or: answer too slowly

`FakeConnector(answer_delay=0.1)` records each activity as it arrives and answers its POST
100 ms later, as the real service takes its time.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


def personal_conversation(user_id: str) -> str:
    """The id the fake gives the 1:1 conversation of the bot with `user_id`."""
    return f"a:1personal-{user_id[-8:]}"


@dataclass
class Sent:
    path: str
    body: dict[str, Any]
    authorization: str
    user_agent: str = ""
    at: float = field(default_factory=time.monotonic)


class FakeConnector:
    def __init__(self, token_delay: float = 0.0, answer_delay: float = 0.0) -> None:
        self.sent: list[Sent] = []
        self.token_requests = 0
        self.token_delay = token_delay
        self.answer_delay = answer_delay
        self._limits: list[int] = []
        self.failures = 0  # the next this many activities are answered 503
        self.members: dict[str, dict[str, Any]] = {}
        self.member_requests: list[Sent] = []
        self.member_delay = 0.0
        self.opened: list[Sent] = []
        self._ids = itertools.count(1)
        self._arrived = asyncio.Condition()
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities", self._activity)
        app.router.add_post(
            "/v3/conversations/{conversation}/activities/{reply_to}", self._activity
        )
        app.router.add_post("/v3/conversations", self._open)
        app.router.add_get("/v3/conversations/{conversation}/members/{user}", self._member)
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

    def add_member(
        self,
        user_id: str,
        email: str | None = None,
        upn: str | None = None,
        name: str = "",
        aad_object_id: str = "",
    ) -> None:
        """A member record as Teams keeps it; `email` or `upn` may be left out, as in Teams."""
        record: dict[str, Any] = {"id": user_id, "name": name, "objectId": aad_object_id}
        if email is not None:
            record["email"] = email
        if upn is not None:
            record["userPrincipalName"] = upn
        self.members[user_id] = record

    async def _member(self, request: web.Request) -> web.Response:
        self.member_requests.append(
            Sent(request.path, {}, request.headers.get("Authorization", ""))
        )
        await asyncio.sleep(self.member_delay)
        record = self.members.get(request.match_info["user"])
        if record is None:
            return web.json_response(
                {"error": {"code": "MemberNotFoundInConversation"}}, status=404
            )
        return web.json_response(record)

    async def _activity(self, request: web.Request) -> web.Response:
        if self.failures:
            self.failures -= 1
            return web.json_response({"error": "unavailable"}, status=503)
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
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        return web.json_response({"id": f"activity-{next(self._ids)}"}, status=201)

    async def _open(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.opened.append(Sent(request.path, body, request.headers.get("Authorization", "")))
        [member] = body["members"]
        return web.json_response({"id": personal_conversation(member["id"])}, status=201)

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
