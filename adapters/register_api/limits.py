"""Limits that keep one client from hurting the others: request rate, body size, page size."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from adapters.register_api.problems import problem
from adapters.register_api.runtime import CLIENT, runtime
from bot.kernel.errors import UserError
from bot.kernel.numbers import whole_number
from bot.register.tokens import ApiClient


@dataclass
class RateLimiter:
    """A token bucket per caller: `per_minute` calls a minute, in bursts of up to that many."""

    per_minute: int
    clock: Any = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def wait(self, key: str) -> float:
        """0 if the call may go ahead (and is counted), else seconds until it may."""
        now = self.clock()
        rate = self.per_minute / 60.0
        tokens, then = self._buckets.get(key, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - then) * rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > 10_000:  # forget idle callers; a full bucket is the default
            self._buckets = {key: self._buckets[key]}
        return (1.0 - tokens) / rate


LIMITER: web.AppKey[RateLimiter] = web.AppKey("register_api.limiter", RateLimiter)


def _caller(request: web.Request) -> str:
    found = request.get(CLIENT)
    if isinstance(found, ApiClient):
        return f"token:{found.token_id}"
    return f"address:{request.remote}"


@web.middleware
async def rate_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
    wait = request.app[LIMITER].wait(_caller(request))
    if wait > 0:
        response = problem(429, "Too many requests; wait and try again.")
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
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
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise UserError("The body must be JSON.") from None
    if not isinstance(value, dict):
        raise UserError("The body must be a JSON object.")
    return value


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
