"""The Bot Framework's signing keys, fetched off the event loop, with a timeout, ahead of expiry.

botbuilder checks an inbound token against keys it gets from an OpenID metadata document and
its JWKS. Its own fetch (`_OpenIdMetadata._refresh`) is a blocking `requests.get` with no
timeout on the event loop: while Microsoft's endpoint is slow, every request on the server
waits. botbuilder looks the keys up through `JwtTokenExtractor.metadataCache`, a class-level
dict keyed by URL; `KeyCache` takes its place, so every URL the SDK may use (the channel's, the
emulator's) is served by `OpenIdKeys`, and botbuilder still does all of the token's checks.

`OpenIdKeys` fetches in a daemon thread (a fetch that hangs never holds up the process's exit)
and a request waits for it at most `timeout` seconds (the fetch goes on, and what it brings
serves later requests); `KeyCache.keep_fresh` refreshes each key
set an hour before it is a day old (botbuilder's own lifetime), so no request waits for that.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from aiohttp import web
from botframework.connector.auth import (
    AuthenticationConstants,
    ChannelValidation,
    JwtTokenExtractor,
)
from jwt.algorithms import RSAAlgorithm
from jwt.exceptions import InvalidKeyError

from bot.kernel.clock import Clock

log = logging.getLogger(__name__)

WAIT_SECONDS = 5.0  # the longest a request waits for the key endpoint
HTTP_SECONDS = 15.0  # each HTTP call's own limit: a slow fetch still lands for later requests
FRESH_FOR = 24 * 3600.0  # botbuilder refreshes keys older than a day
REFRESH_AHEAD = 3600.0  # refreshed in the background this long before that
UNKNOWN_KEY_GAP = 3600.0  # an unknown key id fetches again at most once an hour, as botbuilder
RETRY_SECONDS = 30.0  # after a failed fetch: requests are refused at once, the refresher waits
CHECK_EVERY = 60.0  # how often the refresher looks for key sets that are due

T = TypeVar("T")


class SigningKeysUnavailable(Exception):
    """The key endpoint failed or did not answer in time: the token could not be checked."""


@dataclass(frozen=True)
class SigningKey:
    """What botbuilder's `JwtTokenExtractor` reads of a key: the key and its endorsements."""

    public_key: Any
    endorsements: list[str]


def fetch_keys(url: str, timeout: float) -> dict[str, SigningKey]:
    """Blocking: the metadata document at `url`, then its JWKS, as keys by key id."""
    metadata = requests.get(url, timeout=timeout)
    metadata.raise_for_status()
    document = requests.get(metadata.json()["jwks_uri"], timeout=timeout)
    document.raise_for_status()
    keys: dict[str, SigningKey] = {}
    for jwk in document.json()["keys"]:
        if jwk.get("kty") != "RSA" or not jwk.get("kid"):
            continue  # botbuilder checks RS256 only
        try:
            public_key = RSAAlgorithm.from_jwk(json.dumps(jwk))
        except (InvalidKeyError, ValueError):
            log.warning("Bot Framework signing key %s skipped: unreadable", jwk.get("kid"))
            continue
        keys[str(jwk["kid"])] = SigningKey(public_key, list(jwk.get("endorsements", [])))
    if not keys:
        raise ValueError("the key set lists no RSA signing keys")  # kept as a failure
    return keys


def in_daemon_thread(work: Callable[[], T]) -> asyncio.Future[T]:
    """`work` in a thread of its own that the interpreter does not wait for at exit."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[Any], None], value: Any) -> None:
        if not future.done():
            outcome(value)

    def deliver(outcome: Callable[[Any], None], value: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits any more
            loop.call_soon_threadsafe(settle, outcome, value)

    def run() -> None:
        try:
            result = work()
        except Exception as error:  # handed to the awaiting side, whatever it is
            deliver(future.set_exception, error)
        else:
            deliver(future.set_result, result)

    threading.Thread(target=run, name="bot-framework-keys", daemon=True).start()
    return future


class OpenIdKeys:
    """One metadata URL's keys, in the shape botbuilder's `JwtTokenExtractor` calls: `get`."""

    def __init__(self, url: str, cache: KeyCache) -> None:
        self.url = url
        self.cache = cache
        self.keys: dict[str, SigningKey] = {}
        self.fetched_at = -math.inf  # clock seconds of the last good fetch
        self.failed_at = -math.inf  # ... and of the last failed one
        self._fetch: asyncio.Future[dict[str, SigningKey]] | None = None

    def age(self) -> float:
        return self.cache.seconds() - self.fetched_at

    def due(self) -> bool:
        """For the refresher: near expiry (or never fetched), and not failing just now."""
        now = self.cache.seconds()
        near_expiry = self.age() >= self.cache.fresh_for - self.cache.refresh_ahead
        return near_expiry and now - self.failed_at >= self.cache.retry_seconds

    async def get(self, key_id: str | None) -> SigningKey | None:
        """The key a token names; None (botbuilder refuses the token) for one not listed.

        Waits for a fetch only when the keys are missing or a day old, or when the key id is
        unknown and the keys were last fetched over an hour ago.
        """
        if self.age() >= self.cache.fresh_for:
            await self.refresh()
        key = self.keys.get(key_id or "")
        if key is None and self.age() >= self.cache.unknown_key_gap:
            await self.refresh()
            key = self.keys.get(key_id or "")
        return key

    async def refresh(self) -> None:
        """One fetch at a time, shared by everyone who waits; each waits at most `timeout`."""
        loop = asyncio.get_running_loop()
        fetch = self._fetch
        if fetch is None or fetch.done() or fetch.get_loop() is not loop:
            if self.cache.seconds() - self.failed_at < self.cache.retry_seconds:
                raise SigningKeysUnavailable(f"{self.url} failed moments ago")
            limit = self.cache.http_timeout
            fetch = self._fetch = in_daemon_thread(lambda: fetch_keys(self.url, limit))
            fetch.add_done_callback(self._landed)
        try:
            async with asyncio.timeout(self.cache.timeout):
                await asyncio.shield(fetch)
        except TimeoutError:
            raise SigningKeysUnavailable(
                f"{self.url} did not answer within {self.cache.timeout:g} s"
            ) from None
        except Exception as error:
            raise SigningKeysUnavailable(f"{self.url}: {describe(error)}") from None

    def _landed(self, fetch: asyncio.Future[dict[str, SigningKey]]) -> None:
        """Keeps what a fetch brought, even when the request that started it gave up."""
        if fetch.cancelled():
            return
        error = fetch.exception()
        now = self.cache.seconds()
        if error is None:
            if self.failed_at > self.fetched_at:
                log.info("Bot Framework signing keys fetched again from %s", self.url)
            self.keys, self.fetched_at = fetch.result(), now
            return
        if self.fetched_at >= self.failed_at:  # one line per outage, not one per attempt
            log.warning("Bot Framework signing keys unavailable: %s: %s", self.url, describe(error))
        self.failed_at = now


def describe(error: BaseException) -> str:
    return str(error) or type(error).__name__


class KeyCache(dict[str, OpenIdKeys]):
    """Stands in for `JwtTokenExtractor.metadataCache`: `get` always answers, with `OpenIdKeys`.

    botbuilder calls `metadataCache.get(url, None)` and makes its own blocking fetcher when
    that is None; answering every URL keeps its fetcher out. The timings are attributes so a
    test can shorten them.
    """

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self.timeout = WAIT_SECONDS
        self.http_timeout = HTTP_SECONDS
        self.fresh_for = FRESH_FOR
        self.refresh_ahead = REFRESH_AHEAD
        self.unknown_key_gap = UNKNOWN_KEY_GAP
        self.retry_seconds = RETRY_SECONDS
        self.check_every = CHECK_EVERY

    def seconds(self) -> float:
        return self.clock.now().timestamp()

    def get(self, url: str, default: object = None) -> OpenIdKeys:  # type: ignore[override]
        keys = super().get(url)
        if keys is None:
            keys = self[url] = OpenIdKeys(url, self)
        return keys

    async def keep_fresh(self, first_url: str) -> None:
        """Fetch `first_url`'s keys now, then refresh every key set before it expires."""
        self.get(first_url)
        while True:
            for keys in list(self.values()):
                if keys.due():
                    # a failure is logged by the fetch; tried again after retry_seconds
                    with contextlib.suppress(SigningKeysUnavailable):
                        await keys.refresh()
            await asyncio.sleep(self.check_every)


def install(clock: Clock) -> KeyCache:
    """botbuilder's key look-ups, process-wide (like its endpoint knob), served by a new cache."""
    cache = KeyCache(clock)
    JwtTokenExtractor.metadataCache = cache
    return cache


def kept_fresh(cache: KeyCache) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup context: the channel's keys fetched as the server starts, then every
    key set refreshed before it expires, until the server stops."""

    async def running(_app: web.Application) -> AsyncIterator[None]:
        channel_url = (
            ChannelValidation.open_id_metadata_endpoint
            or AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
        )
        refresher = asyncio.create_task(cache.keep_fresh(channel_url))
        yield
        refresher.cancel()
        await asyncio.gather(refresher, return_exceptions=True)

    return running
