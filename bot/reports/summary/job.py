"""The weekly summary job: compose the summary once and queue it for every faculty lead.

Sent Friday 16:00 by default, with the key `summary:{lead}:{2027-W05}` (ISO week of the slot's
local date), so a second run of a slot queues nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.delivery.tell import ForPerson, tell_many
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
    async with ctx.sessions.begin() as session:
        leads = [lead.id for lead in await faculty_leads(session)]
        if not leads:
            return "no faculty leads"
        reply = summary_reply(await compose(session, slot, ctx.clock.zone), today)
        told = await tell_many(
            session,
            [ForPerson(lead_id, reply, dedupe_key(lead_id, today)) for lead_id in leads],
            ctx.clock.now(),
        )
    return f"{len(told.queued)} summaries queued, {len(told.unreachable)} unreachable"
