"""`summary` (also `digest summary now`): a faculty lead's weekly summary on demand, the figures
as they stand now (the week to this moment), with their own link to the report page."""

from __future__ import annotations

from dataclasses import replace

from bot.chat import suggest
from bot.chat.roles import requires_any_role
from bot.kernel.context import Context
from bot.kernel.errors import UserError
from bot.kernel.messages import Reply
from bot.reports.summary.job import with_links
from bot.reports.summary.message import summary_reply
from bot.reports.summary.queries import compose

USAGE = "summary"


@requires_any_role(
    "faculty_lead",
    refusal="The summary of placement progress is for AHP faculty leads. HEI leads: "
    "`digest now` sends your digest at once.",
    example="digest now",
)
async def run(ctx: Context, rest: str) -> Reply:
    if rest.strip() and rest.strip().lower() != "now":
        raise UserError(
            f"{suggest.quoted(f'summary {rest.strip()}')}: `summary` needs nothing after it; it "
            "shows this week's figures as they stand.",
            example=USAGE,
        )
    person = ctx.require_person()
    today = ctx.clock.today()
    found = await compose(ctx.session, ctx.clock.now(), ctx.clock.zone)
    reply = with_links(summary_reply(found, today), person.id, today, ctx.settings, ctx.clock)
    return replace(reply, text=f"{reply.text} Figures as they stand now.", private=True)
