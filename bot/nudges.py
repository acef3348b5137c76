"""Nudges: the right reminder to the right person, once, politely."""

from __future__ import annotations

from datetime import datetime

from bot.schedule import JobContext


async def scan(ctx: JobContext, slot: datetime) -> str:
    """The working-day nudge scan."""
    return "no nudge rules yet"
