"""The HEI placement lead's view: the register for their professions, and its CSV."""

from __future__ import annotations

from adapters.report_page import html
from bot.kernel.context import Context
from bot.register import queries
from bot.reports import links
from bot.reports.digests.leads import lead_professions
from storage.tables import Person

SHOWN = 200


async def render(ctx: Context, person: Person) -> str:
    hei = person.organisation
    codes = lead_professions(hei.professions if hei else "", person.professions)
    query = queries.PlacementQuery(professions=codes, limit=SHOWN)
    page = await queries.placements_page(ctx, query)
    csv = links.csv_link(ctx.settings, ctx.clock, links.CsvLink(person.id, codes))
    rows = [
        (
            r["ref"],
            r["profession"],
            r["status"],
            r["start_date"],
            r["end_date"],
            r["capacity"],
            r["place"],
        )
        for r in page.records
    ]
    return html.page(
        f"Placements for {hei.name if hei else 'your HEI'}: {', '.join(codes)}",
        html.paragraph(f"{len(rows)} placements shown, in the order they last changed.")
        + html.table(
            ("Ref", "Profession", "Status", "Start", "End", "Students", "Place"), rows, {5}
        )
        + f'<p class="noprint">{html.link("Download as CSV", csv)}</p>',
    )
