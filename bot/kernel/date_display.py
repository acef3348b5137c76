"""Dates as people in the UK read them: "Mon 1 Feb 2027", "6 weeks 1 day", and how many
weeks a placement spans (student-weeks count them)."""

from __future__ import annotations

import math
from datetime import date


def weeks_between(start: date, end: date) -> int:
    """Whole or part weeks a placement spans, counting both end days."""
    return max(1, math.ceil(((end - start).days + 1) / 7))


def show(day: date) -> str:
    """A date as people read it in the UK: "Mon 1 Feb 2027"."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def duration(start: date, end: date) -> str:
    """How long a placement runs, as people count it: "6 weeks", "6 weeks 1 day". A range
    that ends on a Friday counts its last weekend, so Monday to Friday is whole weeks."""
    days = (end - start).days + 1
    weekend = {4: 2, 5: 1}.get(end.weekday(), 0)
    weeks, days = divmod(days + weekend if (days + weekend) % 7 == 0 else days, 7)
    parts = [f"{weeks} week{'s' * (weeks != 1)}"] if weeks else []
    parts += [f"{days} day{'s' * (days != 1)}"] if days else []
    return " ".join(parts)


def show_range(start: date, end: date) -> str:
    return f"{show(start)} – {show(end)} ({duration(start, end)})"
