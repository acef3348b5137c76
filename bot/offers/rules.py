"""The rules an offer must keep, checked the same way for typed lines, forms and edits."""

from __future__ import annotations

from datetime import date, timedelta

from bot.kernel.date_display import show, weeks_between
from bot.offers.parsing import OfferDraft

MAX_CAPACITY = 30
MAX_WEEKS = 52
MAX_YEARS_AHEAD = 3
MAX_PLACE = 200
MAX_EDUCATOR = 200
MAX_NOTES = 1000


def problems(draft: OfferDraft, today: date) -> dict[str, str]:
    """Each field's problem, in words a clinician can act on. Empty when the offer is good."""
    found: dict[str, str] = {}
    if not draft.profession:
        found["profession"] = "Choose the profession, e.g. PT or OT."
    if draft.start is None:
        found["start"] = "Give the first day of the placement, e.g. 1 Feb 2027."
    if draft.end is None:
        found["end"] = "Give the last day of the placement, e.g. 12 Mar 2027."
    if draft.start and draft.end:
        if draft.end < draft.start:
            found["end"] = (
                f"The end ({show(draft.end)}) is before the start ({show(draft.start)}). "
                "Put the start first."
            )
        elif weeks_between(draft.start, draft.end) > MAX_WEEKS:
            found["end"] = f"A placement runs for at most {MAX_WEEKS} weeks; check the end date."
    if draft.start:
        if draft.start < today:
            found["start"] = (
                f"The start ({show(draft.start)}) has passed; offers are for dates from today on."
            )
        elif draft.start > today + timedelta(days=365 * MAX_YEARS_AHEAD):
            found["start"] = (
                f"The start ({show(draft.start)}) is over {MAX_YEARS_AHEAD} years away; "
                "check the year."
            )
    if draft.capacity is not None and not 1 <= draft.capacity <= MAX_CAPACITY:
        found["capacity"] = (
            f"Capacity is the number of students, from 1 to {MAX_CAPACITY}; "
            f"{draft.capacity} is outside that."
        )
    if not draft.place.strip():
        found["place"] = "Say where the placement is, e.g. “at Ward 12, City Hospital”."
    elif len(draft.place) > MAX_PLACE:
        found["place"] = f"Keep the place under {MAX_PLACE} characters."
    if len(draft.educator) > MAX_EDUCATOR:
        found["educator"] = f"Keep the educator's name under {MAX_EDUCATOR} characters."
    if len(draft.notes) > MAX_NOTES:
        found["notes"] = f"Keep notes under {MAX_NOTES} characters."
    return found
