"""Dates as clinicians type them: ISO, "1 Feb", "1st February 2027", "01/02/2027", ranges.

dateutil does the parsing (month names, day-first numbers, calendar validity); the patterns here
only find where a date is in a line, so that "Ward 12" is never read as the 12th.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from dateutil import parser as dateutil_parser

from bot.kernel.date_display import weeks_between
from bot.kernel.errors import UserError
from bot.kernel.quoting import quoted

DATE_FORMS_HINT = "Dates look like 1 Feb 2027, 01/02/2027 or 2027-02-01."

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?"
_YEAR = r"(?:,?\s+\d{4}|\s+'?\d{2}(?!\d|\s*(?:st|nd|rd|th|students?|places?|learners?)\b))"
DATE = (
    r"(?:\d{4}-\d{2}-\d{2}"
    rf"|{_WEEKDAY}{_DAY}\s+(?:of\s+)?{_MONTH}{_YEAR}?"
    rf"|{_WEEKDAY}{_MONTH}\s+{_DAY}(?:,?\s+\d{{4}})?"
    r"|\d{1,2}[/.]\d{1,2}(?:[/.](?:\d{4}|\d{2}))?)"
)
_DATE_ONLY = re.compile(rf"^{DATE}$", re.IGNORECASE)
_WRITTEN_DAY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\b")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMERIC = re.compile(r"^(?P<day>\d{1,2})[/.](?P<month>\d{1,2})(?:[/.](?P<year>\d{4}|\d{2}))?$")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RELATIVE = (
    r"(?:(?:next|this|coming)\s+(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?"
    r"|tomorrow|today)"
)
_RELATIVE_ONLY = re.compile(rf"^{RELATIVE}$", re.IGNORECASE)
ANY_DATE = rf"(?:{RELATIVE}|{DATE})"
_RANGE_WORDS = r"(?:\s*(?:-|–|—)\s*|\s+(?:to|until|till|and|through)\s+)"
_WEEK_WORD = r"(?:weeks?|wks?)\b"
_STARTS = r"(?:from|starting|start(?:s|ing)?\s+on|beginning|w/?c|week\s+commencing|wb)"
# Every letter a range or a date can begin with (from, between, next, a weekday, a month...):
# looked ahead for first, it spares the whole alternation at every other place in the line.
_MAY_BEGIN = r"(?=[abcdfjmnostw\d])"
RANGE = re.compile(
    rf"{_MAY_BEGIN}(?:(?:(?:from|between|{_STARTS})\s+)?(?P<start>{ANY_DATE})"
    rf"(?:{_RANGE_WORDS}(?P<end>{ANY_DATE})|,?\s+for\s+(?P<weeks>\d{{1,3}})\s*{_WEEK_WORD})"
    rf"|(?:for\s+)?(?P<weeks_first>\d{{1,3}})\s*{_WEEK_WORD}\s+{_STARTS}?\s*(?P<after>{ANY_DATE}))",
    re.IGNORECASE,
)
SINGLE = re.compile(
    rf"{_MAY_BEGIN}(?:(?:from|on|{_STARTS})\s+)?(?P<start>{ANY_DATE})", re.IGNORECASE
)


@dataclass(frozen=True)
class DateRange:
    """A start and an end, and what was guessed to read them: "year" (none was typed) or
    "relative" ("next monday", resolved against today in the faculty's time zone)."""

    start: date
    end: date
    guessed: tuple[str, ...] = field(default=(), compare=False)

    @property
    def weeks(self) -> int:
        return weeks_between(self.start, self.end)


_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_DAY_MONTH = re.compile(
    rf"^{_WEEKDAY}(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH})"
    r"(?:,?\s+(?P<year>\d{4})|\s+'?(?P<short>\d{2}))?$"
    rf"|^{_WEEKDAY}(?P<month2>{_MONTH})\s+(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year2>\d{{4}}))?$",
    re.IGNORECASE,
)


_A_LETTER = re.compile("[a-z]", re.IGNORECASE)


@lru_cache(maxsize=16)  # a line's few date texts are each read for their year, then as dates
def _written(text: str) -> tuple[int, int, int | None] | None:
    """(day, month, year or None) of "1st Feb 2027", "Mon 1 February", "Feb 1, 2027": the
    forms clinicians type, read without dateutil (which stays for anything else)."""
    found = _DAY_MONTH.match(text)
    if found is None:
        return None
    month_text = (found["month"] or found["month2"]).lower().rstrip(".")
    day = int(found["day"] or found["day2"])
    year_text = found["year"] or found["year2"]
    year = int(year_text) if year_text else None
    if found["short"]:
        year = 2000 + int(found["short"])
    return day, _MONTHS[month_text[:3]], year


def _parse_with_default(text: str, year: int) -> datetime:
    return dateutil_parser.parse(text, dayfirst=True, default=datetime(year, 1, 1))


def _next_occurrence(month: int, day: int, on_or_after: date) -> date:
    for year in range(on_or_after.year, on_or_after.year + 5):
        try:
            candidate = date(year, month, day)
        except ValueError:  # 29 February outside a leap year
            continue
        if candidate >= on_or_after:
            return candidate
    raise UserError(f"{day}/{month} never comes round. {DATE_FORMS_HINT}")


def parse_date(text: str, on_or_after: date, year_hint: int | None = None) -> date:
    """One date. A date with no year is the next such date on or after `on_or_after`,
    or in `year_hint` when the other end of a range gave the year."""
    cleaned = text.strip().rstrip(",")
    if not cleaned:
        raise UserError(f"A date is missing. {DATE_FORMS_HINT}", field="start")
    # The forms people type most are read directly; dateutil reads the rest.
    numeric = _NUMERIC.match(cleaned)
    if numeric:
        return _numeric_date(cleaned, numeric, on_or_after, year_hint)
    if (written := _written(cleaned)) is not None:
        return _written_date(cleaned, written, on_or_after, year_hint)
    if not _DATE_ONLY.match(cleaned):
        raise UserError(f"{quoted(cleaned)} is not a date I can read. {DATE_FORMS_HINT}")
    try:
        if _ISO.match(cleaned):
            return date.fromisoformat(cleaned)
        # Two different default years reveal whether the text gave one.
        leap_a, leap_b = _parse_with_default(cleaned, 2000), _parse_with_default(cleaned, 2004)
    except (ValueError, OverflowError):
        raise UserError(
            f"“{cleaned}” is not a date in the calendar: check the day and the month. "
            f"{DATE_FORMS_HINT}"
        ) from None
    day_written = _WRITTEN_DAY.search(cleaned) if _A_LETTER.search(cleaned) else None
    if day_written and int(day_written.group(1)) != leap_a.day:  # "32 Jan" is not 1 Jan 2032
        raise UserError(f"“{cleaned}” is not a date in the calendar. {DATE_FORMS_HINT}")
    if leap_a == leap_b:
        return leap_a.date()
    if year_hint is not None:
        try:
            return date(year_hint, leap_a.month, leap_a.day)
        except ValueError:
            raise UserError(f"{cleaned} {year_hint} is not in the calendar.") from None
    return _next_occurrence(leap_a.month, leap_a.day, on_or_after)


def _written_date(
    text: str, parts: tuple[int, int, int | None], on_or_after: date, year_hint: int | None
) -> date:
    day, month, year = parts
    try:
        if year is not None or year_hint is not None:
            return date(year if year is not None else year_hint, month, day)  # type: ignore[arg-type]
        date(2004, month, day)  # a day no year has ("32 Jan", "30 Feb") is refused here
        return _next_occurrence(month, day, on_or_after)
    except ValueError:
        raise UserError(f"“{text}” is not a date in the calendar. {DATE_FORMS_HINT}") from None


def _numeric_date(
    text: str, parts: re.Match[str], on_or_after: date, year_hint: int | None
) -> date:
    """dd/mm[/yy[yy]] read day first, as in the UK; impossible days and months are refused
    (dateutil would quietly read 32/01 as 2032 or swap 01/13 into 13 January)."""
    day, month, year = int(parts["day"]), int(parts["month"]), parts["year"]
    try:
        if year is not None:
            return date(int(year) + (2000 if len(year) == 2 else 0), month, day)
        if year_hint is not None:
            return date(year_hint, month, day)
        if not 1 <= month <= 12:
            raise ValueError(month)
        return _next_occurrence(month, day, on_or_after)
    except (ValueError, UserError):
        raise UserError(
            f"“{text}” is not a date in the calendar: dates are day first, as in 31/01/2027. "
            f"{DATE_FORMS_HINT}"
        ) from None


def _has_year(text: str, today: date) -> bool:
    cleaned = text.strip().rstrip(",")
    if _ISO.match(cleaned):
        return True
    numeric = _NUMERIC.match(cleaned)
    if numeric:
        return numeric["year"] is not None
    if (written := _written(cleaned)) is not None:
        return written[2] is not None
    try:
        return _parse_with_default(cleaned, 2000) == _parse_with_default(cleaned, 2004)
    except (ValueError, OverflowError):
        return True  # parse_date will report it


def last_working_day_of(start: date, weeks: int) -> date:
    """The end of a placement that runs `weeks` weeks: its last weekday (no weekend ends)."""
    end = start + timedelta(weeks=weeks) - timedelta(days=1)
    while end.weekday() >= 5 and end > start:
        end -= timedelta(days=1)
    return end


def parse_range(
    start_text: str,
    end_text: str | None,
    weeks: int | None,
    today: date,
    years: tuple[bool, bool] | None = None,
) -> DateRange:
    """A start and an end from their texts, sharing a year when only one end gave it.
    `years` says whether each text gave its year, when the caller knows already."""
    if end_text is None:
        start = parse_date(start_text, today)
        if weeks is None or not 1 <= weeks <= 52:
            raise UserError("A placement runs for 1 to 52 weeks, e.g. “from 3 March for 6 weeks”.")
        return DateRange(start, last_working_day_of(start, weeks))
    start_year, end_year = years or (_has_year(start_text, today), _has_year(end_text, today))
    if end_year and not start_year:
        end = parse_date(end_text, today)
        start = parse_date(start_text, today, year_hint=end.year)
        if start > end:  # "1 Dec - 12 Jan 2027" crosses the new year, unless that is past
            earlier = parse_date(start_text, today, year_hint=end.year - 1)
            start = earlier if earlier >= today else start
        return DateRange(start, end)
    start = parse_date(start_text, today)
    end = parse_date(end_text, start, year_hint=None)
    return DateRange(start, end)


def relative_date(text: str, today: date) -> date | None:
    """ "next monday", "this fri", "tomorrow" against `today`, or None for any other text.
    "this monday" is today when today is a Monday; "next monday" is always after today."""
    if text.lstrip()[:2].lower() not in {"ne", "th", "co", "to"}:
        return None  # not next, this, coming, today or tomorrow: the usual case, quickly
    words = text.lower().split()
    if not _RELATIVE_ONLY.match(text.strip()):
        return None
    if words == ["today"]:
        return today
    if words == ["tomorrow"]:
        return today + timedelta(days=1)
    weekday = _WEEKDAYS.index(words[1][:3])
    ahead = (weekday - today.weekday()) % 7
    if words[0] == "next" and ahead == 0:
        ahead = 7
    return today + timedelta(days=ahead)


def _resolved(text: str | None, today: date) -> tuple[str | None, bool]:
    """A relative date's text replaced by its ISO date, and whether it was relative."""
    if text is None:
        return None, False
    found = relative_date(text, today)
    return (found.isoformat(), True) if found else (text, False)


def find_range(text: str, today: date, gap: str = " ") -> tuple[DateRange | None, str]:
    """The first date range in `text`, and the text with it replaced by `gap`."""
    match = RANGE.search(text)
    if match is None:
        return None, text
    weeks = match.group("weeks") or match.group("weeks_first")
    start_text, start_relative = _resolved(match.group("start") or match.group("after"), today)
    end_text, end_relative = _resolved(match.group("end"), today)
    assert start_text is not None  # one of the two alternatives matched
    years = (_has_year(start_text, today), end_text is not None and _has_year(end_text, today))
    found = parse_range(start_text, end_text, int(weeks) if weeks else None, today, years)
    guessed = ("relative",) if start_relative or end_relative else ()
    if not any(years):
        guessed += ("year",)
    found = DateRange(found.start, found.end, guessed)
    return found, (text[: match.start()] + gap + text[match.end() :])


def find_single(text: str) -> str | None:
    match = SINGLE.search(text)
    return match.group("start") if match else None
