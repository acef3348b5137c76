"""The AHP faculty lead's view: this year's progress per profession, as the summary has it."""

from __future__ import annotations

from adapters.report_page import html
from bot.kernel.context import Context
from bot.reports.summary.queries import compose
from storage.tables import Person


async def render(ctx: Context, person: Person) -> str:
    summary = await compose(ctx.session, ctx.clock.now(), ctx.clock.zone)
    rows = [
        (b.profession, b.confirmed, b.offered, "no target" if b.goal is None else b.goal)
        for b in (p.bar for p in summary.professions)
    ]
    return html.page(
        f"Placement progress, {summary.year.label}",
        html.table(
            ("Profession", "Confirmed or completed", "More offered", "Goal"), rows, {1, 2, 3}
        ),
    )
