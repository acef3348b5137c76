"""Query parameters read strictly: each is what the OpenAPI document says or a 400 that names it
and shows its form. A value the database cannot hold (a year-1 instant that is year 0 in UTC, a
record id past 64 bits) is refused here, never found out by the database mid-response."""

from __future__ import annotations

from datetime import UTC, date, datetime

from aiohttp import web

from bot.kernel.errors import UserError
from bot.register.queries import Position

INSTANT_EXAMPLE = "2026-11-23T10:00:00Z"


def day(request: web.Request, name: str) -> date | None:
    text = request.query.get(name)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{name} is a date like 2027-02-01.", field=name) from None


def instant(request: web.Request, name: str) -> datetime | None:
    """An ISO 8601 time with its offset, that is a real time in UTC too."""
    text = request.query.get(name)
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
        if value.tzinfo is None:
            raise ValueError(text)
        return value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise UserError(
            f"{name} is a time with its offset, like {INSTANT_EXAMPLE}.", field=name
        ) from None


def cursor(request: web.Request) -> Position | None:
    """Exactly what a page's `next_cursor` gave; `Position.decode` refuses anything else."""
    text = request.query.get("cursor")
    return Position.decode(text) if text else None
