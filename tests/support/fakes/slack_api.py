"""A fake Slack Web API on loopback that records every call and answers like Slack.

    async with FakeSlack() as slack:
        settings = Settings(slack_api_url=slack.api_url, ...)
        slack.rate_limit("chat.postMessage", retry_after=1)   # the next call gets a 429
        ...
        [call] = await slack.wait_for("chat.postMessage")
        assert call.body["channel"] == "D0001"

users.info gives each user the profile email `{user id in lower case}@nhs.example`, or the one
a test set with `slack.emails["U0LEAD"] = "jo.lead@uni.example"` (None: no email shown); the
handle `{user id in lower case}` and no profile display name, or those a test set with
`slack.handles["U0JO"] = "jo.bloggs"` and `slack.display_names["U0JO"] = "Jo B"`.

`slack.response_url("x")` gives a response_url whose posts are recorded under "response:x".
File uploads (`files_upload_v2`) work: the upload URL points here, and the bytes are recorded
as an "upload" call (`body["file_id"]`, `body["data"]`). As in Slack, an upload completes
asynchronously: for `processing_seconds` after files.completeUploadExternal, files.info shows
the file without its type and chat.postMessage refuses an image block naming it with
`invalid_blocks` (`processing_seconds=None`: never ready).

Like Slack, it can hold chat.postMessage to a rate, answering 429 with Retry-After beyond it,
and keeps each channel's messages (with their metadata) for conversations.history:

    async with FakeSlack(workspace_rate=200, channel_rate=1, delay=0.05) as slack:
        ...
        assert [len(m) for m in slack.messages.values()] == [1] * people
        print(slack.limited)   # 429s answered
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class Bucket:
    """A token bucket: `rate` a second, bursts up to `burst`; how long until the next token."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = burst, time.monotonic()

    def take(self) -> float:
        """0 when a token was taken, else the seconds until one will be there."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _answer(method: str, body: dict[str, Any]) -> dict[str, Any]:
    if method == "auth.test":
        return {"ok": True, "team_id": "T0001", "user_id": "UBOT", "bot_id": "B0001", "team": "NHS"}
    if method == "users.info":
        user = body.get("user", "")
        return {
            "ok": True,
            "user": {
                "id": user,
                "team_id": "T0001",
                "name": user.lower(),
                "real_name": f"Clinician {user}",
                "profile": {
                    "real_name": f"Clinician {user}",
                    "display_name": "",
                    "email": f"{user.lower()}@nhs.example",
                },
            },
        }
    if method == "conversations.open":
        return {"ok": True, "channel": {"id": "D" + str(body.get("users", "x"))[:10]}}
    if method == "apps.connections.open":
        return {"ok": True, "url": body["_socket_url"]}
    if method == "files.getUploadURLExternal":
        return {"ok": True, "file_id": body["_file_id"], "upload_url": body["_upload_url"]}
    if method == "files.completeUploadExternal":
        files = json.loads(body.get("files", "[]"))
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
    if method in ("views.open", "views.publish", "views.update"):
        return {"ok": True, "view": {"id": "V0001"}}
    return {"ok": False, "error": "unknown_method"}


class FakeSlack:
    def __init__(
        self,
        workspace_rate: float | None = None,
        channel_rate: float | None = None,
        delay: float = 0.0,
        response_delay: float = 0.0,
        processing_seconds: float | None = 0.5,
    ) -> None:
        """`workspace_rate`, `channel_rate`: chat.postMessage calls a second allowed in all and
        in each channel (bursts of one second's worth); `delay`: seconds each post takes to
        answer, after the message has arrived."""
        self.calls: list[Call] = []
        self.emails: dict[str, str | None] = {}  # users.info profile emails set by a test
        self.handles: dict[str, str] = {}  # users.info names (handles) set by a test
        self.display_names: dict[str, str] = {}  # users.info profile display names, likewise
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.limited = 0
        self.delay = delay
        self.response_delay = response_delay  # how long a response_url takes to answer
        self._workspace = Bucket(workspace_rate, workspace_rate) if workspace_rate else None
        self._channel_rate = channel_rate
        self._channels: dict[str, Bucket] = {}
        self._stamps = itertools.count(1)
        self._limits: dict[str, list[int]] = defaultdict(list)
        self._failures: dict[str, list[int]] = defaultdict(list)
        self._arrived = asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response)
        app.router.add_get("/socket", self._socket)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._file_ids = itertools.count(1)
        self.processing_seconds = processing_seconds
        self._ready_at: dict[str, float] = {}  # file id -> when Slack has processed it
        self.sockets: list[web.WebSocketResponse] = []
        self._socket_open = asyncio.Event()
        self.server = TestServer(app, host="127.0.0.1")

    async def __aenter__(self) -> FakeSlack:
        await self.server.start_server()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.server.close()

    @property
    def api_url(self) -> str:
        return str(self.server.make_url("/api/"))

    async def acknowledged(self, form_body: str, status: int, answer: Any) -> None:
        """What Slack does with an acknowledgement that carries a message (a slash command
        answered in its ack): it shows it as it would a response_url post, so the answer is
        recorded under the same `response:{key}` name, marked `"_via": "ack"`."""
        if status != 200 or not isinstance(answer, dict) or "text" not in answer:
            return
        url = dict(parse_qsl(form_body)).get("response_url", "")
        if "/response/" in url:
            await self._record(
                Call(f"response:{url.rsplit('/', 1)[-1]}", {**answer, "_via": "ack"})
            )

    def response_url(self, key: str) -> str:
        return str(self.server.make_url(f"/response/{key}"))

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with 429 and this Retry-After."""
        self._limits[method] += [retry_after] * times

    def fail(self, method: str, status: int = 500, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with this server error (nothing kept)."""
        self._failures[method] += [status] * times

    async def _record(self, call: Call) -> None:
        async with self._arrived:
            self.calls.append(call)
            self._arrived.notify_all()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.method == "GET":
            body = dict(request.query)
        elif request.content_type == "application/json":
            body = await request.json()
        else:
            body = dict(parse_qsl(await request.text()))
            body.update(request.query)
            for key in ("view", "blocks"):
                if isinstance(body.get(key), str):
                    body[key] = json.loads(body[key])
        body.setdefault("token", request.headers.get("Authorization", "").removeprefix("Bearer "))
        retry_after = (
            self._limits[method].pop(0) if self._limits[method] else self._over(method, body)
        )
        if retry_after:
            self.limited += 1
            await self._record(Call(f"429:{method}", body))
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        if self._failures[method]:
            status = self._failures[method].pop(0)
            await self._record(Call(f"{status}:{method}", body))
            return web.json_response({"ok": False, "error": "fatal_error"}, status=status)
        await self._record(Call(method, body))
        if method == "chat.postMessage":
            if unready := self._unready_files(body):
                return web.json_response({"ok": False, "error": "invalid_blocks", "errors": [
                    f"invalid slack file {f} [json-pointer:/blocks/{n}/slack_file]"
                    for n, f in unready
                ]})  # fmt: skip
            return await self._post(body)
        if method == "files.completeUploadExternal":
            self._processing(body)
        if method == "files.info":
            return web.json_response(self._file_info(str(body.get("file", ""))))
        if method == "conversations.history":
            return web.json_response(self._history(body))
        body["_socket_url"] = str(self.server.make_url("/socket")).replace("http", "ws", 1)
        if method == "files.getUploadURLExternal":
            body["_file_id"] = f"F{next(self._file_ids):04d}"
            body["_upload_url"] = str(self.server.make_url(f"/upload/{body['_file_id']}"))
        answer = _answer(method, body)
        if method == "users.info":
            self._users_info(str(body.get("user", "")), answer["user"])
        return web.json_response(answer)

    def _users_info(self, user_id: str, user: dict[str, Any]) -> None:
        if user_id in self.emails:
            user["profile"]["email"] = self.emails[user_id]
        if user_id in self.handles:
            user["name"] = self.handles[user_id]
        if user_id in self.display_names:
            user["profile"]["display_name"] = self.display_names[user_id]

    def _processing(self, body: dict[str, Any]) -> None:
        later = math.inf if self.processing_seconds is None else self.processing_seconds
        for file in json.loads(body.get("files", "[]")):
            self._ready_at[file["id"]] = time.monotonic() + later

    def _is_ready(self, file_id: str) -> bool:
        return file_id in self._ready_at and time.monotonic() >= self._ready_at[file_id]

    def _file_info(self, file_id: str) -> dict[str, Any]:
        if file_id not in self._ready_at:
            return {"ok": False, "error": "file_not_found"}
        ready = self._is_ready(file_id)
        mimetype = "image/png" if ready else ""
        return {"ok": True, "file": {"id": file_id, "mimetype": mimetype, "filetype": "png"}}

    def _unready_files(self, body: dict[str, Any]) -> list[tuple[int, str]]:
        """Image blocks naming a Slack file that is unknown or still being processed."""
        found = body.get("blocks") or []
        found = json.loads(found) if isinstance(found, str) else found
        return [
            (n, str(block["slack_file"].get("id")))
            for n, block in enumerate(found)
            if block.get("type") == "image"
            and isinstance(block.get("slack_file"), dict)
            and not self._is_ready(str(block["slack_file"].get("id")))
        ]

    def _over(self, method: str, body: dict[str, Any]) -> int:
        """Retry-After seconds when this post goes beyond a rate, else 0 (and it counts)."""
        if method != "chat.postMessage":
            return 0
        buckets = [self._workspace] if self._workspace else []
        if self._channel_rate:
            channel = str(body.get("channel"))
            rate = self._channel_rate
            buckets.append(self._channels.setdefault(channel, Bucket(rate, max(1.0, rate))))
        for bucket in buckets:
            if wait := bucket.take():
                return max(1, math.ceil(wait))
        return 0

    async def _post(self, body: dict[str, Any]) -> web.Response:
        """The message arrives at once; the answer comes after `delay`."""
        metadata = body.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        channel = str(body.get("channel"))
        ts = f"{1_700_000_000 + next(self._stamps)}.000100"
        self.messages[channel].append(
            {"type": "message", "ts": ts, "text": body.get("text", ""), "metadata": metadata}
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.json_response({"ok": True, "channel": channel, "ts": ts})

    def _history(self, body: dict[str, Any]) -> dict[str, Any]:
        """Newest first, `limit` of them; metadata only when asked for, as Slack does."""
        found = self.messages.get(str(body.get("channel")), [])
        newest = list(reversed(found))[: int(body.get("limit") or 100)]
        if not _truthy(body.get("include_all_metadata")):
            newest = [{k: v for k, v in m.items() if k != "metadata"} for m in newest]
        return {"ok": True, "messages": newest, "has_more": len(found) > len(newest)}

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, then record what the app sends back (acks) as calls."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        self._socket_open.set()
        await socket.send_json({"type": "hello", "num_connections": 1})
        async for frame in socket:
            if frame.type == WSMsgType.TEXT:
                await self._record(Call("socket:ack", json.loads(frame.data)))
        return socket

    async def push(self, envelope: dict[str, Any]) -> None:
        """Send an envelope down the Socket Mode connection, as Slack does."""
        async with asyncio.timeout(5):
            await self._socket_open.wait()
        await self.sockets[-1].send_json(envelope)

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        await self._record(Call("upload", {"file_id": file_id, "data": await request.read()}))
        return web.Response(text="OK")

    async def _response(self, request: web.Request) -> web.Response:
        name = f"response:{request.match_info['key']}"
        if self.response_delay:
            await asyncio.sleep(self.response_delay)
        if self._failures[name]:  # `fail("response:KEY")`: this answer does not arrive
            status = self._failures[name].pop(0)
            await self._record(Call(f"{name}:refused", await request.json()))
            return web.Response(status=status, text="server_error")
        await self._record(Call(name, await request.json()))
        return web.Response(text="ok")

    def named(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    async def wait_until(self, test: Callable[[], bool], seconds: float = 10) -> None:
        """Return once `test()` holds, checked as each call arrives (`seconds` at most)."""
        async with asyncio.timeout(seconds), self._arrived:
            await self._arrived.wait_for(test)

    async def wait_for(self, method: str, count: int = 1) -> list[Call]:
        """The calls of `method` once there are at least `count` of them (5 s at most)."""
        async with asyncio.timeout(5), self._arrived:
            await self._arrived.wait_for(lambda: len(self.named(method)) >= count)
        return self.named(method)
