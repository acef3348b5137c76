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

from bot.kernel import professions
from bot.kernel.errors import UserError
from bot.training import london_zone

PRODID = "-//PlaceBot//Educator training//EN"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
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


def booking_fields(text: str) -> tuple[str | None, str | None]:
    """A booking column as (link, note): URLs and addresses become links, words become a note."""
    text = text.strip()
    if text.startswith(("https://", "http://", "mailto:")):
        return text, None
    if _EMAIL.match(text):
        return f"mailto:{text}", None
    return None, text or None


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
        url = component.get("url")
        organizer = component.get("organizer")
        organiser = organizer.params.get("CN", "") if organizer is not None else ""
        description = str(component.get("description", ""))
        if by := _ORGANISED_BY.match(description):  # PlaceBot's own feed, read back
            organiser = organiser or by.group(1)
            description = description[by.end() :]
        location = str(component.get("location", "")) or None
        events.append(
            TrainingData(
                uid=str(component.get("uid")),
                title=str(component.get("summary", "Educator training")),
                organiser=str(organiser) or "Unknown organiser",
                professions=_codes(cats)
                or _codes(re.findall(r"\w+", str(component.get("summary", "")))),
                starts_at=starts_at,
                ends_at=ends_at,
                mode="online" if location is None or "online" in location.lower() else "in person",
                location=location,
                booking=str(url) if url else None,
                resources=description.strip() or None,
            )
        )
    return events


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
    for number, row in enumerate(reader, start=2):
        try:
            day = date.fromisoformat(row["date"].strip())
            starts = datetime.combine(day, time.fromisoformat(row["start"].strip()), zone)
            ends = datetime.combine(day, time.fromisoformat(row["end"].strip()), zone)
        except ValueError:
            raise UserError(
                f"Row {number}: dates are YYYY-MM-DD and times HH:MM "
                f"(got {row['date']!r} {row['start']!r}-{row['end']!r})."
            ) from None
        booking, note = booking_fields(row.get("booking") or "")
        mode = (row.get("mode") or "online").strip()
        events.append(
            TrainingData(
                uid=(row.get("uid") or "").strip()
                or stable_uid(row["title"], row["organiser"], row["date"], row["start"]),
                title=row["title"].strip(),
                organiser=row["organiser"].strip(),
                professions=_codes(re.split(r"[;,/ ]+", row.get("professions") or "")),
                starts_at=starts,
                ends_at=ends,
                mode=mode,
                location=(row.get("location") or "").strip() or None,
                booking=booking,
                booking_note=note,
            )
        )
    return events


def to_ics(events: Iterable[TrainingData]) -> bytes:
    """An iCalendar document with a VTIMEZONE for each zone used, stable UIDs and booking URLs.

    Europe/London is written with yearly rules (`london_zone`); another zone as icalendar
    builds it. DTSTAMP is when the record last changed, so a calendar app sees an update as one.
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
    event.add("uid", data.uid)
    event.add("summary", data.title)
    event.add("dtstart", data.starts_at)
    event.add("dtend", data.ends_at)
    event.add("dtstamp", (data.changed_at or now).astimezone(UTC))
    if data.professions:
        event.add("categories", list(data.professions))
    event.add("location", data.location or data.mode)
    if data.booking:
        event.add("url", data.booking)
    if data.booking and data.booking.startswith("mailto:"):  # the organiser's own address
        event.add("organizer", data.booking, parameters={"CN": data.organiser})
    lines = [f"Organised by {data.organiser}", data.booking_note, data.resources]
    event.add("description", "\n".join(filter(None, lines)))
    return event
