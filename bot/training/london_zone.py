"""Europe/London as Outlook and Google write it: two yearly rules that hold for every year.

icalendar builds a VTIMEZONE from the tz database as a list of RDATEs for 1970-2038. Some
readers misread that form: vobject puts every winter event an hour early, and Outlook desktop
is reported to do the same. The rules below are the UK's since 1996 (the last Sunday of March
at 01:00 UTC, the last Sunday of October at 01:00 UTC) and every reader understands them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

TZID = "Europe/London"


def _observance(
    kind: type[TimezoneStandard] | type[TimezoneDaylight],
    name: str,
    starts: datetime,
    month: int,
    offsets: tuple[int, int],
) -> TimezoneStandard | TimezoneDaylight:
    observance = kind()
    observance.add("tzname", name)
    observance.add("dtstart", starts)  # local time, as RFC 5545 wants it here
    observance.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
    observance.add("tzoffsetfrom", timedelta(hours=offsets[0]))
    observance.add("tzoffsetto", timedelta(hours=offsets[1]))
    return observance


def london() -> Timezone:
    zone = Timezone()
    zone.add("tzid", TZID)
    zone.add_component(_observance(TimezoneStandard, "GMT", datetime(1970, 10, 25, 2), 10, (1, 0)))
    zone.add_component(_observance(TimezoneDaylight, "BST", datetime(1970, 3, 29, 1), 3, (0, 1)))
    return zone
