"""Editing an offer by text, one field at a time (`placement edit PL-2027-0042 capacity 3`):
the words that name each field, with an example for each, and the change read from text."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from bot.kernel import date_display, dates, professions
from bot.kernel.errors import UserError
from bot.kernel.numbers import whole_number
from bot.kernel.vocabulary import level_code, model_code, setting_code
from bot.offers.parsing import OfferDraft


@dataclass(frozen=True)
class EditableField:
    names: tuple[str, ...]
    example: str


EDIT_FIELDS: dict[str, EditableField] = {
    "dates": EditableField(("dates",), "dates 1 Feb - 12 Mar 2027"),
    "start": EditableField(("start", "from"), "start 8 Feb 2027"),
    "end": EditableField(("end", "to", "until"), "end 19 Mar 2027"),
    "capacity": EditableField(("capacity", "students", "places"), "capacity 3"),
    "place": EditableField(("place", "at", "site", "team"), "place Ward 14, City Hospital"),
    "supervision_model": EditableField(("model", "supervision"), "model 2:1"),
    "student_level": EditableField(("level", "year"), "level year 2"),
    "setting": EditableField(("setting",), "setting community"),
    "educator": EditableField(("educator",), "educator Ward 12 team lead"),
    "block_ref": EditableField(("block",), "block BL-2027-0001"),
    "notes": EditableField(("notes", "note"), "notes parking on site"),
    "profession": EditableField(("profession",), "profession OT"),
}
_FIELD_BY_WORD = {word: key for key, spec in EDIT_FIELDS.items() for word in spec.names}


def field_for(word: str) -> str:
    key = _FIELD_BY_WORD.get(word.lower())
    if key is None:
        names = ", ".join(spec.names[0] for spec in EDIT_FIELDS.values())
        raise UserError(
            f"I can't edit “{word[:30]}”. You can edit: {names}.",
            example="placement edit PL-2027-0042 capacity 3",
        )
    return key


def example_for(key: str, ref: str = "PL-2027-0042") -> str:
    return f"placement edit {ref} {EDIT_FIELDS[key].example}"


def _keep_order(draft: OfferDraft, key: str, day: date, ref: str) -> None:
    """A new start after the end (or end before the start) needs both dates changed at once."""
    start, end = (day, draft.end) if key == "start" else (draft.start, day)
    if start is None or end is None or start <= end:
        return
    other = "end" if key == "start" else "start"
    raise UserError(
        f"The new {key}, {date_display.show(day)}, is {'after' if key == 'start' else 'before'} "
        f"the offer's {other}, {date_display.show(draft.end if key == 'start' else draft.start)}: "
        "to move the placement, give both dates.",
        example=f"placement edit {ref} dates {_moved(draft, key, day)}",
    )


def _moved(draft: OfferDraft, key: str, day: date) -> str:
    """The placement's dates moved to start (or end) on `day`, keeping its length."""
    if draft.start is None or draft.end is None:
        return "1 Feb - 12 Mar 2027"
    length = draft.end - draft.start
    start, end = (day, day + length) if key == "start" else (day - length, day)
    return f"{start.day} {start:%b %Y} - {end.day} {end:%b %Y}"


def apply_change(
    draft: OfferDraft, key: str, value: str, today: date, ref: str = "PL-2027-0042"
) -> OfferDraft:
    """`draft` with one field changed from text, or a UserError saying how to write it."""
    value = value.strip()
    example = example_for(key, ref)
    if key == "dates":
        found, rest = dates.find_range(value, today)
        if found is None or rest.strip(" ,"):
            raise UserError("Give both dates, e.g. “1 Feb - 12 Mar 2027”.", example=example)
        return replace(draft, start=found.start, end=found.end)
    if key in ("start", "end"):
        # An end with no year is the next such date on or after the start (14 Dec - 22 Jan).
        after = draft.start if key == "end" and draft.start else today
        day = dates.parse_date(value, after)
        _keep_order(draft, key, day, ref)
        return replace(draft, **{key: day})
    if key == "capacity":
        number = whole_number(value.split()[0] if value else "", most_digits=3)
        if number is None:
            raise UserError("Capacity is a whole number of students.", example=example)
        return replace(draft, capacity=number)
    if key == "profession":
        return replace(draft, profession=professions.resolve(value).code)
    coded = {"supervision_model": model_code, "student_level": level_code, "setting": setting_code}
    if key in coded:
        code = coded[key](value)
        if code is None:
            raise UserError(
                f"“{value[:40]}” is not a {key.replace('_', ' ')} I know.", example=example
            )
        return replace(draft, **{key: code})
    return replace(draft, **{key: value})
