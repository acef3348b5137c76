"""Dates as clinicians type them, read relative to a fixed today."""

from __future__ import annotations

from datetime import date

import pytest

from bot.kernel import date_display, dates
from bot.kernel.errors import UserError

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 Feb", date(2027, 2, 1)),  # no year: the next 1 February
        ("30 Nov", date(2026, 11, 30)),
        ("23 Nov", date(2026, 11, 23)),  # today counts as next
        ("1st February 2027", date(2027, 2, 1)),
        ("01/02/2027", date(2027, 2, 1)),  # day first, as in the UK
        ("1/2/27", date(2027, 2, 1)),
        ("2027-02-01", date(2027, 2, 1)),
        ("Mon 1 Feb 2027", date(2027, 2, 1)),
        ("February 3, 2027", date(2027, 2, 3)),
        ("29 Feb", date(2028, 2, 29)),  # the next 29 February that exists
    ],
)
def test_single_dates(text: str, expected: date) -> None:
    assert dates.parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    "text", ["31/02/2027", "32 Jan", "Jan 32", "30 February 2027", "2027-02-30", "Ward 12"]
)
def test_impossible_dates_are_refused_with_the_forms_to_use(text: str) -> None:
    with pytest.raises(UserError) as raised:
        dates.parse_date(text, TODAY)
    assert "1 Feb 2027" in raised.value.message


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("1 Feb - 12 Mar 2027", date(2027, 2, 1), date(2027, 3, 12)),
        ("1 Feb-12 Mar", date(2027, 2, 1), date(2027, 3, 12)),
        ("1 Dec - 15 Jan 2027", date(2026, 12, 1), date(2027, 1, 15)),  # across the new year
        ("14 Dec to 8 Jan", date(2026, 12, 14), date(2027, 1, 8)),
        ("2027-02-01 to 2027-03-12", date(2027, 2, 1), date(2027, 3, 12)),
        ("from 1 Feb 2027 for 6 weeks", date(2027, 2, 1), date(2027, 3, 12)),  # ends on a Friday
        ("from 3 March for 6 weeks", date(2027, 3, 3), date(2027, 4, 13)),
        ("between 1 Feb and 12 Mar 2027", date(2027, 2, 1), date(2027, 3, 12)),
    ],
)
def test_ranges(text: str, start: date, end: date) -> None:
    found, rest = dates.find_range(text, TODAY)
    assert found == dates.DateRange(start, end)
    assert rest.strip() == ""


def test_weeks_are_derived_counting_part_weeks() -> None:
    assert date_display.weeks_between(date(2027, 2, 1), date(2027, 3, 12)) == 6
    assert date_display.weeks_between(date(2027, 2, 1), date(2027, 2, 1)) == 1
    assert date_display.weeks_between(date(2027, 2, 1), date(2027, 2, 8)) == 2


def test_dates_are_shown_the_british_way() -> None:
    assert date_display.show(date(2027, 2, 1)) == "Mon 1 Feb 2027"
