"""Educator training events as plain data, read from iCalendar or CSV and written as iCalendar."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from bot.kernel import links, professions
from bot.kernel.errors import UserError
from bot.kernel.text import clean, clip
from bot.training import london_zone

PRODID = "-//PlaceBot//Educator training//EN"
MAX_UID = 255
# The longest each field is kept (the columns' sizes); longer text is cut, never refused.
LIMITS = {"title": 300, "organiser": 200, "mode": 100, "location": 300, "booking_note": 300}
_ORGANISED_BY = re.compile(r"^Organised by ([^\n]+)\n?")


@dataclass(frozen=True)
class TrainingData:
    uid: str
    title: str
    organiser: str
    professions: tuple[str, ...]  # empty: for every profession
    starts_at: datetime  # aware
    ends_at: datetime
    mode: str = "online"
    location: str | None = None
    booking: str | None = None  # https:// or mailto:
    booking_note: str | None = None
    capacity: int | None = None
    resources: str | None = None
    changed_at: datetime | None = None  # when the record last changed (DTSTAMP); None: now


def _codes(words: Iterable[str]) -> tuple[str, ...]:
    found = {p.code for word in words if (p := professions.find(word.strip())) is not None}
    return tuple(sorted(found))


def booking_fields(text: str, where: str = "The booking link") -> tuple[str | None, str | None]:
    """A booking column as (link, note): URLs and addresses become links, words become a note;
    a link that is not a safe web or email link is refused, saying `where` it was."""
    try:
        return links.booking(clean(text))
    except ValueError as why:
        raise UserError(f"{where} cannot be used: {why}.") from None


def _line(value: object, name: str) -> str:
    """One imported field as one clean line, cut to its column's size."""
    return clip(" ".join(clean(str(value)).split()), LIMITS.get(name, 300))


def _uid(value: str, where: str) -> str:
    uid = "".join(clean(value).split())
    if len(uid) > MAX_UID:
        raise UserError(f"{where}: the UID is {len(uid):,} characters long; keep it under 256.")
    return uid


def read_ics(payload: bytes, zone: ZoneInfo) -> list[TrainingData]:
    """VEVENTs with their UIDs; floating times are read as the faculty's local time."""
    try:
        calendar = Calendar.from_ical(payload)
    except ValueError as error:
        raise UserError(f"That file is not iCalendar I can read: {error}") from None
    events = []
    for component in calendar.walk("VEVENT"):
        start, end = component.get("dtstart"), component.get("dtend")
        if start is None or component.get("uid") is None:
            continue
        starts_at = _aware(start.dt, zone)
        ends_at = _aware(end.dt, zone) if end is not None else starts_at
        categories = component.get("categories")
        cats = [str(c) for c in categories.cats] if categories is not None else []
        organizer = component.get("organizer")
        organiser = organizer.params.get("CN", "") if organizer is not None else ""
        description = str(component.get("description", ""))
        if by := _ORGANISED_BY.match(description):  # PlaceBot's own feed, read back
            organiser = organiser or by.group(1)
            description = description[by.end() :]
        location = _line(component.get("location", ""), "location") or None
        title = _line(component.get("summary", ""), "title") or "Educator training"
        where = f"The event “{title[:60]}” (UID {clip(str(component.get('uid')), 60)})"
        events.append(
            TrainingData(
                uid=_uid(str(component.get("uid")), where),
                title=title,
                organiser=_line(organiser, "organiser") or "Unknown organiser",
                professions=_codes(cats) or _codes(re.findall(r"\w+", title)),
                starts_at=starts_at,
                ends_at=ends_at,
                mode="online" if location is None or "online" in location.lower() else "in person",
                location=location,
                booking=_ics_link(component.get("url"), where),
                resources=clean(description, lines=True) or None,
            )
        )
    return events


def _ics_link(url: object, where: str) -> str | None:
    """The event's URL, only when it is a safe web or email link."""
    if not url:
        return None
    link = str(url).strip()
    if (why := links.problem(link)) is not None:
        raise UserError(
            f"{where} has the URL {link[:80]!r}, which cannot be used: {why}. "
            "Fix the URL in the calendar and import it again."
        )
    return link


def _aware(value: date | datetime, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, time(9, 0), zone)
    return value if value.tzinfo else value.replace(tzinfo=zone)


def stable_uid(title: str, organiser: str, day: str, start: str) -> str:
    """A stable UID for a CSV row that has none, so re-imports update instead of duplicating."""
    digest = hashlib.sha256(f"{title}|{organiser}|{day}|{start}".encode()).hexdigest()[:20]
    return f"{digest}@placebot"


def read_csv(text: str, zone: ZoneInfo) -> list[TrainingData]:
    """Rows of title, organiser, professions, date, start, end, mode, booking (uid optional)."""
    reader = csv.DictReader(io.StringIO(text))
    required = {"title", "organiser", "date", "start", "end"}
    missing = required - set(reader.fieldnames or [])
    if missing:
        raise UserError(f"The CSV needs the columns {', '.join(sorted(missing))}.")
    events = []
    for number, raw in enumerate(reader, start=2):
        row = {
            key: clean(value) if isinstance(value, str) else ""
            for key, value in raw.items()
            if key is not None  # cells beyond the header row
        }
        try:
            day = date.fromisoformat(row["date"].strip())
            starts = datetime.combine(day, time.fromisoformat(row["start"].strip()), zone)
            ends = datetime.combine(day, time.fromisoformat(row["end"].strip()), zone)
        except ValueError:
            raise UserError(
                f"Row {number}: dates are YYYY-MM-DD and times HH:MM "
                f"(got {row['date']!r} {row['start']!r}-{row['end']!r})."
            ) from None
        where = f"Row {number}, column booking"
        booking, note = booking_fields(row.get("booking") or "", where)
        events.append(
            TrainingData(
                uid=_uid(row.get("uid") or "", f"Row {number}")
                or stable_uid(row["title"], row["organiser"], row["date"], row["start"]),
                title=_line(row["title"], "title"),
                organiser=_line(row["organiser"], "organiser"),
                professions=_codes(re.split(r"[;,/ ]+", row.get("professions") or "")),
                starts_at=starts,
                ends_at=ends,
                mode=_line(row.get("mode") or "online", "mode"),
                location=_line(row.get("location") or "", "location") or None,
                booking=booking,
                booking_note=_line(note, "booking_note") if note else None,
            )
        )
    return events


def to_ics(events: Iterable[TrainingData]) -> bytes:
    """An iCalendar document with a VTIMEZONE for each zone used, stable UIDs and booking URLs.

    Europe/London is written with yearly rules (`london_zone`); another zone as icalendar
    builds it. DTSTAMP is when the record last changed, so a calendar app sees an update as one.
    Whatever was stored, one event can never break the feed: text is cleaned of controls
    (icalendar escapes the rest) and a booking link is given only when it is a safe one.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    now, events = datetime.now(UTC), list(events)
    written = [_event(data, now) for data in events]
    if any(str(data.starts_at.tzinfo) == london_zone.TZID for data in events):
        calendar.add_component(london_zone.london())  # zones first, as calendar apps write
    for event in written:
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _event(data: TrainingData, now: datetime) -> Event:
    event = Event()
    event.add("uid", clean(data.uid))
    event.add("summary", clean(data.title))
    event.add("dtstart", data.starts_at)
    event.add("dtend", data.ends_at)
    event.add("dtstamp", (data.changed_at or now).astimezone(UTC))
    if data.professions:
        event.add("categories", [clean(code) for code in data.professions])
    event.add("location", clean(data.location or data.mode))
    safe = data.booking if data.booking and links.is_safe(data.booking) else None
    if safe:
        event.add("url", safe)
    if safe and safe.startswith("mailto:"):  # the organiser's own address
        event.add("organizer", safe, parameters={"CN": clean(data.organiser)})
    lines = [f"Organised by {data.organiser}", data.booking_note, data.resources]
    event.add("description", clean("\n".join(filter(None, lines)), lines=True))
    return event
