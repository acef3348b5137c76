"""HEI digests: what changed in the register for each HEI lead's professions."""

from __future__ import annotations

from datetime import datetime

from bot.schedule import JobContext


async def daily(ctx: JobContext, slot: datetime) -> str:
    return "no digests yet"


async def weekly(ctx: JobContext, slot: datetime) -> str:
    return "no digests yet"
