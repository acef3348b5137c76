"""`placebot report progress [--year 2026/27] [--csv]`: placement progress per profession, its
goal and last year, and the breakdowns, as a table to read or as CSV (RFC 4180) to open in a
spreadsheet; the same figures as the report page and the weekly summary."""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from datetime import date
from typing import Any, TextIO

from bot.faculty.validate import academic_year as year_label
from bot.kernel.academic_year import AcademicYear, academic_year
from bot.kernel.clock import Clock
from bot.kernel.errors import UserError
from bot.reports import progress, progress_rows
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import pending_message


class ReportFailed(Exception):
    """The report could not be made; the message says why and how to put it right."""


def add_parser(verbs: Any) -> None:
    report = verbs.add_parser("report", help="reports for the faculty").add_subparsers(
        dest="what", required=True
    )
    wanted = report.add_parser(
        "progress", help="placements offered, confirmed and completed against the goal"
    )
    wanted.add_argument("--year", help="academic year, e.g. 2026/27 (default: this one)")
    wanted.add_argument("--csv", action="store_true", help="CSV on standard output")


def chosen_year(text: str | None, today: date) -> AcademicYear:
    if not text:
        return academic_year(today)
    try:
        label = year_label(text)
    except UserError as error:
        raise ReportFailed(error.message) from None
    return academic_year(date(int(label[:4]), 9, 1))


async def build(settings: Settings, year_text: str | None) -> progress.Report:
    engine = make_engine(settings.database_url)
    try:
        if problem := await pending_message(engine):
            raise ReportFailed(problem)
        year = chosen_year(year_text, Clock(zone=settings.timezone).today())
        async with make_sessionmaker(engine)() as session:
            return await progress.report(session, year)
    finally:
        await engine.dispose()


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        first = values[0].ljust(widths[0])
        rest = (v.rjust(w) for v, w in zip(values[1:], widths[1:], strict=True))
        return "  ".join((first, *rest)).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)]


def text(report: progress.Report) -> str:
    out = [
        f"Placement progress, {report.year.label} (offers starting {report.year.start:%-d %b %Y}"
        f" to {report.year.end:%-d %b %Y}); last year is {report.previous.label}.",
        "Confirmed includes completed; progress is students confirmed against the goal "
        "(baseline + extra target).",
        "",
        *_table(progress_rows.PROFESSION_HEADERS, progress_rows.profession_rows(report)),
    ]
    for dimension, title in progress.DIMENSIONS.items():
        rows = progress_rows.breakdown_rows(report, dimension)
        out += ["", f"By {title.lower()}:"]
        out += _table((title, *progress_rows.BREAKDOWN_HEADERS), rows) if rows else ["  none"]
    return "\n".join(out)


def write_csv(report: progress.Report, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(progress_rows.CSV_HEADERS)
    writer.writerows(progress_rows.csv_rows(report))


async def run(settings: Settings, args: argparse.Namespace, out: TextIO | None = None) -> None:
    report = await build(settings, args.year)
    out = out or sys.stdout
    if args.csv:
        write_csv(report, out)
    else:
        print(text(report), file=out)
