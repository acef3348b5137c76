"""The id of the request (or scheduled run) being handled, carried by contextvars from the edge
that received it through the core to the outbox rows it queues, and from a row to the sender's
log lines about it, so one request can be followed through every log line it caused."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

current: ContextVar[str | None] = ContextVar("placebot_request_id", default=None)

_SAFE = re.compile(r"[A-Za-z0-9._-]{1,40}")


def fresh() -> str:
    return uuid.uuid4().hex


def accepted(given: str | None) -> str:
    """A caller's own id (a proxy's X-Request-Id) when it is short and plain, else a new one."""
    return given if given and _SAFE.fullmatch(given) else fresh()
