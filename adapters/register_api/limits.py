"""Limits that keep one client from hurting the others: request rate, body size, page size."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters import json_body
from adapters.register_api.problems import problem
from adapters.register_api.runtime import CLIENT, runtime
from bot.kernel.errors import UserError
from bot.kernel.numbers import whole_number
from bot.register.tokens import ApiClient
from config.settings import Settings
from storage.shared_limits import DatabaseWindows, MemoryWindows


class Windows(Protocol):
    async def admit(self, key: str, limit: int, count: bool = True) -> float: ...


class RateLimiter:
    """`per_minute` calls in any minute per caller (a sliding-window counter, so a caller may
    use its minute's calls at once and then waits for the minute). On PostgreSQL the counts are
    in the database and shared by every web process, so N processes allow the rate in total,
    not N times it; on SQLite one process serves, and they are kept in it."""

    def __init__(self, name: str, per_minute: int, windows: Windows) -> None:
        self.name = name  # keeps this limit's counts apart from the others' for the same caller
        self.per_minute = per_minute
        self.windows = windows

    async def over(self, key: str) -> float:
        """Seconds until `key` may call again, 0 if it may now; counts nothing."""
        return await self.windows.admit(f"{self.name}:{key}", self.per_minute, count=False)

    async def take(self, key: str) -> float:
        """0 if the call may go ahead (and is counted), else seconds until it may."""
        return await self.windows.admit(f"{self.name}:{key}", self.per_minute)


@dataclass(frozen=True)
class Limits:
    """Calls a minute per token; the public paths per client address; failed authentications
    per client address (a caller guessing tokens is stopped before the next guess is checked)."""

    per_token: RateLimiter
    public: RateLimiter
    auth_failures: RateLimiter

    @classmethod
    def from_settings(
        cls, settings: Settings, sessions: async_sessionmaker[AsyncSession] | None = None
    ) -> Limits:
        shared = sessions is not None and settings.database_url.startswith("postgresql")
        windows: Windows = DatabaseWindows(sessions) if shared and sessions else MemoryWindows()
        return cls(
            RateLimiter("calls", settings.placebot_api_rate_per_minute, windows),
            RateLimiter("public", settings.placebot_api_feed_rate_per_minute, windows),
            RateLimiter("failures", settings.placebot_api_auth_failures_per_minute, windows),
        )


LIMITS: web.AppKey[Limits] = web.AppKey("register_api.limits", Limits)


def address(request: web.Request) -> str:
    """The client's address as this server sees it (a proxy in front is one address)."""
    return f"address:{request.remote}"


def too_many(wait: float, message: str = "Too many requests; wait and try again.") -> web.Response:
    response = problem(429, message)
    response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


@web.middleware
async def rate_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
    limits = request.app[LIMITS]
    found = request.get(CLIENT)
    if isinstance(found, ApiClient):
        wait = await limits.per_token.take(f"token:{found.token_id}")
    else:  # a public path: no token to count against
        wait = await limits.public.take(address(request))
    if wait > 0:
        return too_many(wait)
    return await handler(request)


@web.middleware
async def plain_query(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse NUL characters in the query string: no database column can store them."""
    if any("\x00" in value for value in request.query.values()):
        return problem(400, "The query string may not contain NUL characters.")
    return await handler(request)


async def read_json(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object, refusing bodies over the configured size before reading on."""
    limit = runtime(request).settings.placebot_api_max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
    body = await request.content.read(limit + 1)
    if len(body) > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=len(body))
    if b"\\u0000" in body:
        raise UserError("Text may not contain NUL characters.")
    try:
        return json_body.parse_object(body)
    except json_body.BadJson as problem:
        raise UserError(str(problem)) from None


def page_size(request: web.Request) -> int:
    settings = runtime(request).settings
    text = request.query.get("limit")
    if text is None:
        return min(settings.placebot_api_page_size, settings.placebot_api_page_size_max)
    number = whole_number(text)
    if number is None or not 1 <= number <= settings.placebot_api_page_size_max:
        raise UserError(
            f"limit is a whole number from 1 to {settings.placebot_api_page_size_max}.",
            field="limit",
        )
    return number
