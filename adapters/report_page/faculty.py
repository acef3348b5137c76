"""The AHP faculty lead's view: this year's placement progress per profession against its goal
(`bot.reports.progress`, the figures of the weekly summary and `placebot report progress`),
charts per profession, provider type and setting, the other breakdowns, and what needs the
lead: silent teams and messages that could not be delivered."""

from __future__ import annotations

from html import escape

from adapters.report_page import html
from adapters.report_page.svg import Row, Series, bar_chart
from bot.kernel.academic_year import academic_year
from bot.kernel.context import Context
from bot.kernel.date_display import show
from bot.reports import links, progress, progress_rows
from bot.reports.chart import plural
from bot.reports.progress import Report
from bot.reports.summary.queries import Attention, attention
from storage.tables import Person

GOAL = Series("Goal (baseline + target)", "#aeb7bd")
CONFIRMED = Series("Students confirmed or completed", "#005eb8")
OFFERED = Series("Students offered", "#41b6e6")
COMPLETED = Series("Students completed", "#007f3b")
SILENT_SHOWN = 50
PROFESSION_NUMBERS = frozenset((*range(1, 9), 10, 11, 12))
BREAKDOWN_NUMBERS = frozenset(range(1, 6))
EXPLAINED = (
    "An offer counts in the academic year its placement starts in. Offered: every placement "
    "offered (withdrawn and expired offers, and those held until their poster's team is "
    "confirmed, never count). Confirmed includes "
    "completed; a placement is completed once its end date has passed. Progress is students "
    "confirmed against the goal, the year's baseline plus its extra target. Last year: students "
    "confirmed in {previous}."
)


def _section(title: str, body: str) -> str:
    return f"<section><h2>{escape(title)}</h2>{body}</section>"


def _professions(report: Report) -> str:
    table = html.table(
        progress_rows.PROFESSION_HEADERS, progress_rows.profession_rows(report), PROFESSION_NUMBERS
    )
    chart = bar_chart(
        f"Students confirmed against goal, per profession, {report.year.label}",
        (GOAL, CONFIRMED, OFFERED),
        [
            Row(line.profession, (line.goal or 0, line.counts.confirmed, line.counts.students))
            for line in report.professions
        ],
    )
    return _section("Progress per profession", table + chart)


def _breakdown(report: Report, dimension: str, charted: bool) -> str:
    title = progress.DIMENSIONS[dimension]
    rows = progress_rows.breakdown_rows(report, dimension)
    body = html.table((title, *progress_rows.BREAKDOWN_HEADERS), rows, BREAKDOWN_NUMBERS)
    if charted:
        body += bar_chart(
            f"Students by {title.lower()}, {report.year.label}",
            (OFFERED, CONFIRMED, COMPLETED),
            [
                Row(value, (c.students, c.confirmed, c.completed))
                for value, c in report.breakdown(dimension)
            ],
        )
    return _section(f"By {title.lower()}", body if rows else html.paragraph("None yet."))


def _attention(needs: Attention) -> str:
    if needs.silent_teams:
        shown = needs.silent_teams[:SILENT_SHOWN]
        more = len(needs.silent_teams) - len(shown)
        silent = (
            html.paragraph(
                f"{plural(len(needs.silent_teams), 'team')} nudged this term that "
                "neither answered a block nor posted an offer."
                + (f" The first {len(shown)} are listed." if more else "")
            )
            + "<ul>"
            + "".join(f"<li>{escape(team)}</li>" for team in shown)
            + "</ul>"
        )
    else:
        silent = html.paragraph("No silent teams this term.")
    if needs.failed:
        undelivered = html.paragraph(
            f"{plural(needs.failed, 'message')} could not be delivered this week; the latest "
            "are below. "
            "On the server, placebot deliveries --failed lists them all."
        ) + html.table(
            ("Queued", "To", "By", "Why"),
            [
                (show(f.queued_at.date()), f.recipient, f.channel, f.error)
                for f in needs.failed_latest
            ],
        )
    else:
        undelivered = html.paragraph("Every message this week was delivered.")
    return _section("Silent teams", silent) + _section("Undelivered messages", undelivered)


async def render(ctx: Context, person: Person) -> str:
    year = academic_year(ctx.clock.today())
    report = await progress.report(ctx.session, year)
    needs = await attention(ctx.session, ctx.clock.now(), ctx.clock.zone)
    csv = links.csv_link(ctx.settings, ctx.clock, links.CsvLink(person.id, ends_from=year.start))
    return html.page(
        f"Placement progress, {year.label}",
        html.paragraph(EXPLAINED.format(previous=report.previous.label))
        + _professions(report)
        + _breakdown(report, "provider_type", charted=True)
        + _breakdown(report, "setting", charted=True)
        + _breakdown(report, "supervision", charted=False)
        + _breakdown(report, "first_time", charted=False)
        + _attention(needs)
        + f'<p class="noprint">{html.link("This year’s offers as CSV", csv)}</p>',
    )
