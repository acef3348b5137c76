"""The weekly summary job: compose the summary once and queue it for every faculty lead.

Sent Friday 16:00 by default, with the key `summary:{lead}:{2027-W05}` (ISO week of the slot's
local date), so a second run of a slot queues nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from bot.delivery.tell import ForPerson, tell_many
from bot.kernel.academic_year import academic_year
from bot.kernel.clock import Clock
from bot.kernel.jobs import JobContext
from bot.kernel.messages import Button, Item, Reply
from bot.people.directory import faculty_leads
from bot.reports import links
from bot.reports.summary.message import summary_reply
from bot.reports.summary.queries import compose
from config.settings import Settings

HOW_TO_STOP = Item(
    title="To stop this summary",
    text="Type `digest summary off` to PlaceBot (`digest summary on` has it back).",
)


def dedupe_key(lead_id: int, today: date) -> str:
    year, week, _ = today.isocalendar()
    return f"summary:{lead_id}:{year}-W{week:02d}"


async def weekly(ctx: JobContext, slot: datetime) -> str:
    """Compose the summary once and queue it for every faculty lead."""
    today = ctx.clock.local(slot).date()
    async with ctx.sessions.begin() as session:
        leads = [lead.id for lead in await faculty_leads(session, summary=True)]
        if not leads:
            return "no faculty leads (or all stopped the summary)"
        reply = summary_reply(await compose(session, slot, ctx.clock.zone), today)
        told = await tell_many(
            session,
            [
                ForPerson(
                    lead_id,
                    for_lead(reply, lead_id, today, ctx.settings, ctx.clock),
                    dedupe_key(lead_id, today),
                )
                for lead_id in leads
            ],
            ctx.clock.now(),
        )
    return f"{len(told.queued)} summaries queued, {len(told.unreachable)} unreachable"


def with_links(reply: Reply, lead_id: int, today: date, settings: Settings, clock: Clock) -> Reply:
    """The summary with the lead's own links: the report page and the year's offers as CSV."""
    year = links.CsvLink(lead_id, ends_from=academic_year(today).start)
    report = Button("Open the report", "link", url=links.report_link(settings, clock, lead_id))
    csv = Button("This year's offers as CSV", "link", url=links.csv_link(settings, clock, year))
    return replace(reply, buttons=(*reply.buttons, report, csv))


def for_lead(reply: Reply, lead_id: int, today: date, settings: Settings, clock: Clock) -> Reply:
    """The scheduled summary: the lead's own links, and how to stop it."""
    linked = with_links(reply, lead_id, today, settings, clock)
    return replace(linked, items=(*linked.items, HOW_TO_STOP))
