"""The faculty's weekly summary: progress against targets, nudges, silent teams."""

from __future__ import annotations

from datetime import datetime

from bot.schedule import JobContext


async def weekly(ctx: JobContext, slot: datetime) -> str:
    return "no summary yet"
