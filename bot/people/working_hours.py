"""When a message may reach someone: on their working days, within their working hours, in
the faculty's time zone, whatever the clocks did overnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def is_working_day(working_days: str, day: date) -> bool:
    """`working_days` holds ISO weekdays, "12345" for Monday to Friday."""
    return str(day.isoweekday()) in working_days


def send_at(
    working_days: str, starts: time, ends: time, now: datetime, zone: ZoneInfo
) -> datetime | None:
    """The instant to send today: now within working hours, the start of them when it is
    earlier, None on a day off or once they are over. Local times are placed on today's
    date, so 09:00 stays 09:00 on the Monday after the clocks change."""
    local = now.astimezone(zone)
    today = local.date()
    if not is_working_day(working_days, today):
        return None
    if local >= datetime.combine(today, ends, tzinfo=zone):
        return None
    start = datetime.combine(today, starts, tzinfo=zone)
    return start.astimezone(UTC) if local < start else now


def day_ends(ends: time, now: datetime, zone: ZoneInfo) -> datetime:
    """The end of today's working hours: a message meant for today must not go after it."""
    local = now.astimezone(zone)
    return datetime.combine(local.date(), ends, tzinfo=zone).astimezone(UTC)
