"""The offer form (Slack modal, Teams card, local form) and reading its submitted values."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.kernel import dates, professions
from bot.kernel.errors import FieldErrors, UserError
from bot.kernel.messages import Form, FormField
from bot.kernel.numbers import whole_number
from bot.kernel.vocabulary import SETTINGS, STUDENT_LEVELS, SUPERVISION_MODELS
from bot.offers.parsing import OfferDraft
from bot.offers.rules import problems
from config.professions import PROFESSIONS

OFFER_CREATE = "offer.create"
OFFER_EDIT = "offer.edit"


def _options(choices: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return (("", "Not set"), *choices.items())


def offer_form(
    draft: OfferDraft | None = None,
    errors: dict[str, str] | None = None,
    *,
    raw: dict[str, str] | None = None,
    edit: tuple[str, int] | None = None,
) -> Form:
    """The form, filled from a draft or from the raw values a person typed (kept on errors)."""
    draft = draft or OfferDraft()
    errors = errors or {}
    values = {
        "profession": draft.profession,
        "start": draft.start.isoformat() if draft.start else "",
        "end": draft.end.isoformat() if draft.end else "",
        "capacity": str(draft.capacity) if draft.capacity else "",
        "place": draft.place,
        "supervision_model": draft.supervision_model or "",
        "student_level": draft.student_level or "",
        "setting": draft.setting or "",
        "educator": draft.educator,
        "block": draft.block_ref,
        "notes": draft.notes,
    } | (raw or {})

    def field(name: str, label: str, **kwargs: object) -> FormField:
        return FormField(
            name, label, value=values.get(name, ""), error=errors.get(name, ""), **kwargs
        )  # type: ignore[arg-type]

    fields = (
        field(
            "profession",
            "Profession",
            kind="select",
            required=True,
            options=tuple((p.code, f"{p.name} ({p.code})") for p in PROFESSIONS),
        ),
        field("start", "First day", kind="date", required=True, hint="e.g. 1 Feb 2027"),
        field("end", "Last day", kind="date", required=True, hint="e.g. 12 Mar 2027"),
        field("capacity", "Students", kind="number", required=True, hint="1 to 30"),
        field(
            "place", "Place (ward, team, site)", required=True, hint="e.g. Ward 12, City Hospital"
        ),
        field(
            "supervision_model",
            "Supervision model",
            kind="select",
            options=_options(SUPERVISION_MODELS),
        ),
        field("student_level", "Student level", kind="select", options=_options(STUDENT_LEVELS)),
        field("setting", "Setting", kind="select", options=_options(SETTINGS)),
        field("educator", "Practice educator"),
        field("block", "Placement block", hint="optional, e.g. BL-2027-0001"),
        field("notes", "Notes for the HEI", kind="textarea"),
    )
    if edit is None:
        return Form(OFFER_CREATE, "Offer a placement", "Post offer", fields)
    ref, version = edit
    return Form(
        OFFER_EDIT,
        f"Edit {ref}",
        "Save changes",
        fields,
        hidden=(("ref", ref), ("version", str(version))),
    )


def _date_errors(start_text: str, end_text: str, today: date) -> dict[str, str]:
    """Which of the two dates is unreadable, each reported beside its own field."""
    errors = {}
    for name, text in (("start", start_text), ("end", end_text)):
        try:
            dates.parse_date(text, today)
        except UserError as error:
            errors[name] = error.message
    return errors


def read_offer_form(values: dict[str, str], today: date) -> OfferDraft:
    """A draft from submitted values, or FieldErrors with a message beside each bad field."""
    errors: dict[str, str] = {}
    draft = OfferDraft(
        place=values.get("place", "").strip(),
        educator=values.get("educator", "").strip(),
        block_ref=values.get("block", "").strip().upper(),
        notes=values.get("notes", "").strip(),
        supervision_model=values.get("supervision_model") or None,
        student_level=values.get("student_level") or None,
        setting=values.get("setting") or None,
    )
    for name, known in (
        ("supervision_model", SUPERVISION_MODELS),
        ("student_level", STUDENT_LEVELS),
        ("setting", SETTINGS),
    ):
        if getattr(draft, name) not in (None, *known):
            errors[name] = "Choose one of the listed options."
    try:
        draft = replace(draft, profession=professions.resolve(values.get("profession", "")).code)
    except UserError as error:
        errors["profession"] = error.message
    start_text, end_text = values.get("start", "").strip(), values.get("end", "").strip()
    try:
        if start_text and end_text:
            found = dates.parse_range(start_text, end_text, None, today)
            draft = replace(draft, start=found.start, end=found.end)
        elif start_text:
            draft = replace(draft, start=dates.parse_date(start_text, today))
    except UserError as error:
        errors.update(_date_errors(start_text, end_text, today) or {"end": error.message})
    capacity = values.get("capacity", "").strip()
    if capacity:
        if (number := whole_number(capacity, most_digits=3)) is not None:
            draft = replace(draft, capacity=number)
        else:
            errors["capacity"] = "Give the number of students as a whole number, e.g. 2."
    else:
        errors["capacity"] = "How many students can you take? e.g. 2."
    dates_unread = "start" in errors or "end" in errors
    for name, message in problems(draft, today).items():
        if name not in errors and not (dates_unread and name in ("start", "end")):
            errors[name] = message
    if errors:
        raise FieldErrors(errors)
    return draft
