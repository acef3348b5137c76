"""Properties of the offer-line grammar over generated input: nothing crashes it, and no record
it gives contradicts the words it was given."""

from __future__ import annotations

import re
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.kernel.date_display import show
from bot.kernel.errors import UserError
from bot.kernel.numbers import NUMBER_WORDS
from bot.offers.parsing import read_offer_line

TODAY = date(2026, 11, 23)
WORDS = [
    "PT", "physio", "OT", "SALT", "1", "2", "12", "two", "x", "students", "pupils", "at", "Ward",
    "12", "City", "Hospital", "from", "for", "weeks", "wks", "w/c", "next", "monday", "this",
    "1st", "Feb", "Mar", "2027", "-", "to", "model", "2:1", "peer", "level", "year", "setting",
    "acute", "educator", "notes", ",", "01/02/2027", "3/3", "thanks", "@", "block", "BL-2027-0001",
]  # fmt: skip
lines = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join),
)


@settings(max_examples=400, deadline=None)
@given(lines)
def test_no_line_crashes_the_parser(line: str) -> None:
    try:
        read_offer_line(line, TODAY)
    except UserError as error:
        message = error.message
    else:
        message = "read"
    assert message.strip()


DAYS = st.dates(min_value=TODAY, max_value=TODAY + timedelta(days=700))
NUMBER_NAMES = {n: word for word, n in NUMBER_WORDS.items() if " " not in word and n > 1}


@settings(max_examples=300, deadline=None)
@given(
    start=DAYS,
    length=st.integers(min_value=0, max_value=300),
    students=st.integers(min_value=1, max_value=30),
    in_words=st.booleans(),
    place=st.sampled_from(["Ward 12", "Stroke Rehab, City Hospital", "5 West", "the Model Unit"]),
    noun=st.sampled_from(["students", "pupils", "learners", "places", "x students"]),
)
def test_a_record_says_what_the_line_says(
    start: date, length: int, students: int, in_words: bool, place: str, noun: str
) -> None:
    end = start + timedelta(days=length)
    count = NUMBER_NAMES.get(students, str(students)) if in_words else str(students)
    line = f"PT {show(start)} - {show(end)} {count} {noun} at {place}"
    draft = read_offer_line(line, TODAY).draft
    assert (draft.start, draft.end, draft.capacity, draft.place) == (start, end, students, place)


@settings(max_examples=300, deadline=None)
@given(lines)
def test_what_is_read_appears_in_the_line(line: str) -> None:
    """A number of students is only ever one typed; a place only words that were typed."""
    try:
        draft = read_offer_line(line, TODAY).draft
    except UserError:
        return
    typed = line.lower()
    if draft.capacity is not None:
        numbers = {str(n) for n in range(1, 1000) if re.search(rf"(?<!\d){n}(?!\d)", typed)}
        spelled = {str(n) for word, n in NUMBER_WORDS.items() if word in typed}
        assert str(draft.capacity) in numbers | spelled
    for word in draft.place.lower().replace(",", " ").split():
        assert word in typed
    assert draft.start is not None and draft.end is not None
