"""Links that carry their own permission: signed, expiring, each made for one job.

A digest's "changes as CSV" link and an email's one-click unsubscribe open without a login (an
email client has none to give), so the link itself says whom it is for, what it opens and
until when. itsdangerous signs it (HMAC-SHA256) with PLACEBOT_LINK_SECRET and a salt per
purpose, so that a link made for one job never opens another, and checks its age against the
bot's clock. Without a secret (the local demo, one process) a random one lives as long as the
process; a deployment with PLACEBOT_PUBLIC_URL must set one (checked at start-up).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from bot.kernel.clock import Clock
from config.settings import Settings

Purpose = Literal["digest-csv", "unsubscribe", "report", "chart"]
_PROCESS_SECRET = secrets.token_urlsafe(32)


class BadLink(Exception):
    """A link that is not ours, was altered, or has expired; the message says which, politely."""


def base_url(settings: Settings) -> str:
    return (settings.placebot_public_url or f"http://{settings.host}:{settings.port}").rstrip("/")


def _serializer(settings: Settings, purpose: Purpose, clock: Clock) -> URLSafeTimedSerializer:
    class ClockedSigner(TimestampSigner):
        def get_timestamp(self) -> int:  # the bot's clock, so tests can move it
            return int(clock.now().timestamp())

    secret = settings.placebot_link_secret or _PROCESS_SECRET
    return URLSafeTimedSerializer(secret, salt=f"placebot:{purpose}", signer=ClockedSigner)


def sign(settings: Settings, clock: Clock, purpose: Purpose, payload: dict[str, Any]) -> str:
    return str(_serializer(settings, purpose, clock).dumps(payload))


def link(
    settings: Settings, clock: Clock, path: str, purpose: Purpose, payload: dict[str, Any]
) -> str:
    """An absolute URL to `path` carrying a token for `payload`."""
    token = sign(settings, clock, purpose, payload)
    return f"{base_url(settings)}{path}?{urlencode({'t': token})}"


def read(
    settings: Settings, clock: Clock, purpose: Purpose, token: str, max_age: timedelta
) -> dict[str, Any]:
    """The payload a link was made with; BadLink when it is not valid or too old."""
    serializer = _serializer(settings, purpose, clock)
    try:
        payload = serializer.loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired:
        raise BadLink(
            "This link has expired. The next message will bring a fresh one; in chat, "
            "`digest now` sends the digest at once."
        ) from None
    except BadSignature:
        raise BadLink(
            "This link is not valid: it may have been cut short when copied. Open it from the "
            "message again."
        ) from None
    if not isinstance(payload, dict):
        raise BadLink("This link is not valid. Open it from the message again.")
    return payload
