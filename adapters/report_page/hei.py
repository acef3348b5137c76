"""The HEI placement lead's view: the register for their professions with filters (a plain GET
form), "Request places" on each open offer (a POST form to `/report/requests` carrying the signed
link's token), their blocks with each team's answer, their HEI's requests, and the CSV.

Everything is read through the core (`bot.register.queries`, `bot.blocks`, `bot.requests`), so
the page shows what chat and the API show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from adapters.report_page import html
from bot.blocks import answers as block_answers
from bot.blocks import service as blocks
from bot.blocks.demand import block_demands
from bot.kernel.context import Context
from bot.kernel.date_display import show, show_range
from bot.register import queries
from bot.reports import links
from bot.reports.digests.leads import lead_professions
from bot.requests import service as placement_requests
from bot.requests.service import MAX_NOTE, MAX_STUDENTS
from storage import lifecycle
from storage.tables import Organisation, Person, PlacementBlock

SHOWN = 200
REQUESTS_PATH = "/report/requests"
STATUS_WORDS = {
    "held": "held until release",
    "pending": "with the provider",
    "confirmed": "confirmed",
    "declined": "declined",
    "cancelled": "cancelled",
}


@dataclass(frozen=True)
class Filters:
    """What the filter form asks for; what it cannot read is left out and said so."""

    profession: str = ""
    status: str = ""
    ends_from: date | None = None
    starts_to: date | None = None
    problems: tuple[str, ...] = ()

    @classmethod
    def read(cls, query: Mapping[str, str], codes: tuple[str, ...]) -> Filters:
        problems: list[str] = []
        profession = query.get("profession", "").strip().upper()
        if profession and profession not in codes:
            problems.append(f"{profession[:10]} is not one of your professions; showing all.")
            profession = ""
        status = query.get("status", "").strip().lower()
        if status and status not in lifecycle.PUBLIC:
            problems.append(f"“{status[:20]}” is not a status; showing every status.")
            status = ""
        days: dict[str, date | None] = {}
        for name, label in (("from", "From"), ("to", "To")):
            text = query.get(name, "").strip()
            try:
                days[name] = date.fromisoformat(text) if text else None
            except ValueError:
                problems.append(f"{label} needs a date like 2027-02-01; left out.")
                days[name] = None
        return cls(profession, status, days["from"], days["to"], tuple(problems))


def _filter_form(token: str, codes: tuple[str, ...], chosen: Filters) -> str:
    return (
        f'<form class="filters" method="get" action="{links.REPORT_PATH}">'
        + html.hidden("t", token)
        + html.choice(
            "profession", "Profession", [("", "All"), *((c, c) for c in codes)], chosen.profession
        )
        + html.choice(
            "status", "Status", [("", "Any"), *((s, s) for s in lifecycle.PUBLIC)], chosen.status
        )
        + html.date_field("from", "Ending on or after", _iso(chosen.ends_from))
        + html.date_field("to", "Starting on or before", _iso(chosen.starts_to))
        + "<button>Show</button></form>"
    )


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _ask_form(token: str, ref: str) -> html.Raw:
    return html.Raw(
        f'<form class="ask" method="post" action="{REQUESTS_PATH}">'
        + html.hidden("t", token)
        + html.hidden("ref", ref)
        + f'<label>Students<input type="number" name="students" min="1" max="{MAX_STUDENTS}" '
        'value="1" required></label>'
        + f'<label>Note<input type="text" name="note" maxlength="{MAX_NOTE}"></label>'
        + "<button>Request places</button></form>"
    )


async def _register(ctx: Context, token: str, codes: tuple[str, ...], chosen: Filters) -> str:
    query = queries.PlacementQuery(
        professions=(chosen.profession,) if chosen.profession else codes,
        statuses=(chosen.status,) if chosen.status else (),
        ends_from=chosen.ends_from,
        starts_to=chosen.starts_to,
        limit=SHOWN,
    )
    page = await queries.placements_page(ctx, query)
    today = ctx.clock.today().isoformat()
    rows = [
        (
            r["ref"],
            r["profession"],
            r["status"],
            r["start_date"],
            r["end_date"],
            r["capacity"],
            r["place"],
            _ask_form(token, r["ref"])
            if r["status"] in lifecycle.LIVE and str(r["start_date"]) > today
            else "",
        )
        for r in page.records
    ]
    more = " (the first 200; narrow the filters for the rest)" if page.next_cursor else ""
    return html.paragraph(
        f"{len(rows)} placements shown{more}, in the order they last changed."
    ) + html.table(
        ("Ref", "Profession", "Status", "Start", "End", "Students", "Place", "Request"),
        rows,
        frozenset({5}),
    )


async def _blocks(ctx: Context, hei: Organisation) -> str:
    found = await blocks.blocks_of(ctx, hei)
    if not found:
        return html.paragraph("Your HEI has no placement blocks yet.")
    demand = await block_demands(ctx.session, PlacementBlock.id.in_([b.id for b in found]))
    teams = await block_answers.team_answers(ctx.session, demand.blocks)
    rows = []
    details = []
    for b in demand.blocks:
        listed = teams.get(b.block_id, [])
        tally = block_answers.counts(listed)
        rows.append(
            (
                b.ref,
                b.cohort,
                show_range(b.start, b.end),
                b.students,
                b.places,
                b.short_by,
                show(b.offers_close),
                tally.offering,
                tally.maybe,
                tally.no_capacity,
                tally.silent,
            )
        )
        details.append(
            f"<details><summary>{html.escape(b.ref)}: who answered</summary>"
            + html.table(
                ("Team", "Provider", "Answer", "Places", "Ask again"),
                [
                    (
                        a.team,
                        a.provider,
                        block_answers.WORDS[a.state],
                        a.places if a.state == "offering" else "",
                        show(a.ask_again_on) if a.ask_again_on else "",
                    )
                    for a in listed
                ],
            )
            + "</details>"
        )
    headers = ("Block", "Cohort", "Dates", "Students", "Offered", "Short by", "Offers close")
    return html.table(
        (*headers, "Offering", "Maybe", "No capacity", "Silent"),
        rows,
        frozenset({3, 4, 5, 7, 8, 9, 10}),
    ) + "".join(details)


async def _requests(ctx: Context, hei: Organisation) -> str:
    found = await placement_requests.requests_of(ctx, hei)
    if not found:
        return html.paragraph("Your HEI has made no requests yet.")
    return html.table(
        ("Placement", "Request", "Students", "Status", "Asked", "Note"),
        [
            (
                ref,
                f"#{r.id}",
                r.students,
                STATUS_WORDS.get(r.status, r.status),
                show(ctx.clock.local(r.created_at).date()),
                r.note or "",
            )
            for r, ref in found
        ],
        frozenset({2}),
    )


async def render(
    ctx: Context,
    person: Person,
    token: str = "",
    query: Mapping[str, str] | None = None,
    said: str = "",
    error: bool = False,
) -> str:
    """The page; `said` is the answer to a request just made (or why it was not)."""
    hei = person.organisation
    codes = lead_professions(hei.professions if hei else "", person.professions)
    chosen = Filters.read(query or {}, codes)
    csv_codes = (chosen.profession,) if chosen.profession else codes
    csv = links.csv_link(ctx.settings, ctx.clock, links.CsvLink(person.id, csv_codes))
    notices = (html.notice(said, error) if said else "") + "".join(
        html.notice(problem, error=True) for problem in chosen.problems
    )
    body = (
        notices
        + _filter_form(token, codes, chosen)
        + await _register(ctx, token, codes, chosen)
        + f'<p class="noprint">{html.link("Download as CSV", csv)} '
        f"(every status and date for {', '.join(csv_codes)})</p>"
    )
    if hei is not None and hei.kind == "hei":
        body += html.heading("Your blocks: places offered and teams' answers")
        body += await _blocks(ctx, hei)
        body += html.heading("Your HEI's requests")
        body += await _requests(ctx, hei)
    return html.page(f"Placements for {hei.name if hei else 'your HEI'}: {', '.join(codes)}", body)
