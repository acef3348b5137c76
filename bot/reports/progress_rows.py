"""The progress report as rows: the tables `placebot report progress` prints and the report
page shows, and the one long CSV (a row per profession, then a row per profession and
breakdown value), so that every view has the same columns and the same numbers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.reports.progress import DIMENSIONS, Line, Report
from bot.reports.progress_sql import Counts

PROFESSION_HEADERS = (
    "Profession",
    "Placements offered",
    "Students offered",
    "Placements confirmed",
    "Students confirmed",
    "Placements completed",
    "Students completed",
    "Student-weeks offered",
    "Student-weeks confirmed",
    "Goal",
    "Of goal",
    "Last year",
    "Growth",
)
BREAKDOWN_HEADERS = (
    "Placements offered",
    "Students offered",
    "Students confirmed",
    "Students completed",
    "Student-weeks offered",
)
CSV_HEADERS = (
    "academic_year",
    "profession",
    "breakdown",
    "value",
    "placements_offered",
    "students_offered",
    "placements_confirmed",
    "students_confirmed",
    "placements_completed",
    "students_completed",
    "student_weeks_offered",
    "student_weeks_confirmed",
    "places_open",
    "baseline",
    "target",
    "goal",
    "last_year_students_confirmed",
    "growth",
)


def goal_text(line: Line) -> str:
    """ "159 (120 + 39)", "23 extra, no baseline" or "no target"."""
    if line.target is None:
        return "no target"
    if line.baseline is None:
        return f"{line.target} extra, no baseline"
    return f"{line.goal} ({line.baseline} + {line.target})"


def signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def _stages(c: Counts) -> tuple[int, ...]:
    return (
        c.placements,
        c.students,
        c.confirmed_placements,
        c.confirmed,
        c.completed_placements,
        c.completed,
        c.student_weeks,
        c.confirmed_student_weeks,
    )


def profession_rows(report: Report) -> list[tuple[object, ...]]:
    """One row per profession, then the total."""
    rows: list[tuple[object, ...]] = []
    for line in report.professions:
        share = "" if line.share is None else f"{line.share}%"
        rows.append(
            (
                line.profession,
                *_stages(line.counts),
                goal_text(line),
                share,
                line.last_year.confirmed,
                signed(line.growth),
            )
        )
    totals, before = report.totals, report.last_year_totals
    goals = [line.goal for line in report.professions if line.goal is not None]
    rows.append(
        (
            "All",
            *_stages(totals),
            sum(goals) if goals else "no target",
            "",
            before.confirmed,
            signed(totals.confirmed - before.confirmed),
        )
    )
    return rows


def breakdown_rows(report: Report, dimension: str) -> list[tuple[object, ...]]:
    return [
        (value, c.placements, c.students, c.confirmed, c.completed, c.student_weeks)
        for value, c in report.breakdown(dimension)
    ]


def _csv_counts(c: Counts) -> list[Any]:
    return [*_stages(c), c.open_places]


def csv_rows(report: Report) -> Iterator[list[Any]]:
    year = report.year.label
    for line in report.professions:
        yield [
            year,
            line.profession,
            "all",
            "",
            *_csv_counts(line.counts),
            "" if line.baseline is None else line.baseline,
            "" if line.target is None else line.target,
            "" if line.goal is None else line.goal,
            line.last_year.confirmed,
            line.growth,
        ]
    for dimension in DIMENSIONS:
        for share in report.breakdowns:
            if share.dimension == dimension:
                yield [
                    year,
                    share.profession,
                    dimension,
                    share.value,
                    *_csv_counts(share.counts),
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
