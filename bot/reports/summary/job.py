"""The weekly summary job: compose the summary once and queue it for every faculty lead.

Sent Friday 16:00 by default, with the key `summary:{lead}:{2027-W05}` (ISO week of the slot's
local date), so a second run of a slot queues nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.delivery import queue as outbox
from bot.delivery.recipients import channels_for
from bot.kernel.jobs import JobContext
from bot.people.directory import faculty_leads
from bot.reports.summary.message import summary_reply
from bot.reports.summary.queries import compose


def dedupe_key(lead_id: int, today: date) -> str:
    year, week, _ = today.isocalendar()
    return f"summary:{lead_id}:{year}-W{week:02d}"


async def weekly(ctx: JobContext, slot: datetime) -> str:
    """Compose the summary once and queue it for every faculty lead."""
    today = ctx.clock.local(slot).date()
    queued = unreachable = 0
    async with ctx.sessions.begin() as session:
        leads = [lead.id for lead in await faculty_leads(session)]
        if not leads:
            return "no faculty leads"
        channels = await channels_for(session, leads)
        reply = summary_reply(await compose(session, slot, ctx.clock.zone), today)
        now = ctx.clock.now()
        for lead_id in leads:
            channel = channels.get(lead_id)
            if channel is None:
                unreachable += 1
                continue
            if await outbox.enqueue(
                session, lead_id, channel, reply, dedupe_key(lead_id, today), now
            ):
                queued += 1
    return f"{queued} summaries queued, {unreachable} unreachable"
