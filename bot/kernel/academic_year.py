"""The UK academic year, 1 September to 31 August: targets are set per year and the weekly
summary reports on the year containing its date, so both must agree on where a year turns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class AcademicYear:
    label: str  # "2026/27", as Target.academic_year stores it
    start: date  # 1 September
    end: date  # 31 August


def academic_year(day: date) -> AcademicYear:
    """The year containing `day`: 2026/27 runs 1 Sep 2026 to 31 Aug 2027."""
    first = day.year if day.month >= 9 else day.year - 1
    return AcademicYear(
        f"{first}/{(first + 1) % 100:02d}", date(first, 9, 1), date(first + 1, 8, 31)
    )
