"""The HEI lead's "Request places" form, as chat (Slack modal, Teams card, local form) and the
report page show it, and what a submitted one asks for.

Both entries end in `service.request_places`, the call the register API makes: the same checks,
the same release-time fairness rule, the same audit event. The HEI is the lead's own (their
`hei_lead` grant), never one named in the form.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.kernel.context import Context
from bot.kernel.errors import FieldErrors, NotAllowed, NotFound
from bot.kernel.messages import Form, FormField
from bot.kernel.numbers import whole_number
from bot.requests.service import MAX_NOTE, MAX_STUDENTS, request_places
from storage.tables import Organisation, Person, PlacementRequest

REQUEST_FORM = "request.create"
STATUS_WORDS = {
    "held": "held until release, then shared fairly",
    "pending": "with the provider to confirm",
    "confirmed": "confirmed",
    "declined": "declined",
    "cancelled": "cancelled",
}


@dataclass(frozen=True)
class PlacesWanted:
    ref: str
    students: int
    note: str


def request_form(
    ref: str,
    errors: dict[str, str] | None = None,
    raw: dict[str, str] | None = None,
    title: str = "",
) -> Form:
    """The form for one offer: students (1 to 30) and a note for the provider."""
    errors, values = errors or {}, {"students": "1", "note": ""} | (raw or {})
    return Form(
        form_id=REQUEST_FORM,
        title=title or f"Request places on {ref}",
        submit_label="Request places",
        fields=(
            FormField(
                "students",
                "Students",
                kind="number",
                required=True,
                value=values.get("students", ""),
                hint=f"1 to {MAX_STUDENTS}",
                error=errors.get("students", ""),
            ),
            FormField(
                "note",
                "Note for the provider",
                kind="textarea",
                value=values.get("note", ""),
                hint="optional: year, cohort, any needs",
                error=errors.get("note", ""),
            ),
        ),
        hidden=(("ref", ref),),
    )


def read_request_form(values: dict[str, str]) -> PlacesWanted:
    """The submitted form, or FieldErrors naming each field that is wrong."""
    errors: dict[str, str] = {}
    students = whole_number(values.get("students", ""), most_digits=3)
    if students is None or not 1 <= students <= MAX_STUDENTS:
        errors["students"] = f"Students is a whole number from 1 to {MAX_STUDENTS}."
    note = values.get("note", "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = f"A note is at most {MAX_NOTE} characters."
    ref = values.get("ref", "").strip().upper()
    if not ref:
        errors["students"] = "This form lost its placement reference; open it again."
    if errors or students is None:
        raise FieldErrors(errors)
    return PlacesWanted(ref, students, note)


def lead_hei_id(person: Person) -> int:
    """The HEI a lead requests for: their `hei_lead` grant's (else their organisation)."""
    for grant in person.roles:
        if grant.role == "hei_lead" and grant.organisation_id is not None:
            return grant.organisation_id
    if any(grant.role == "hei_lead" for grant in person.roles) and person.organisation_id:
        return person.organisation_id
    raise NotAllowed(
        "Only an HEI's placement lead can request places. Ask the AHP faculty to make you "
        "your HEI's lead."
    )


async def lead_hei(ctx: Context) -> Organisation:
    hei = await ctx.session.get(Organisation, lead_hei_id(ctx.require_person()))
    if hei is None or hei.kind != "hei":
        raise NotFound("I can't find your HEI; ask the AHP faculty to check your role.")
    return hei


async def request_from_form(ctx: Context, values: dict[str, str]) -> tuple[PlacementRequest, str]:
    """A submitted form (chat or the report page) as the lead's HEI's request, and the sentence
    that says where it stands. Raises FieldErrors or UserError, nothing stored."""
    hei = await lead_hei(ctx)
    wanted = read_request_form(values)
    made = await request_places(ctx, hei, wanted.ref, wanted.students, wanted.note)
    said = (
        f"Requested {made.students} place{'s' if made.students != 1 else ''} on {wanted.ref} "
        f"for {hei.name}: {STATUS_WORDS[made.status]}."
    )
    return made, said
