"""HEI leads in chat: "Request places" on an offer (a form: students, note) and
`placement requests`, their HEI's requests with where each stands.

The form ends in `bot.requests.service.request_places`, the register API's own call.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.chat.commands.refs import need_ref
from bot.kernel.context import Context
from bot.kernel.date_display import show, show_range
from bot.kernel.errors import FieldErrors, NotFound, UserError
from bot.kernel.messages import Button, Fact, Item, Reply
from bot.kernel.numbers import whole_number
from bot.requests import service as placement_requests
from bot.requests.form import STATUS_WORDS, lead_hei, request_form, request_from_form
from storage import lifecycle
from storage.tables import PlacementOffer, PlacementRequest


def request_button(ref: str) -> Button:
    return Button("Request places", "offer.request", ref, style="primary")


async def _public_offer(ctx: Context, ref: str) -> PlacementOffer:
    offer = (
        await ctx.session.execute(
            select(PlacementOffer).where(PlacementOffer.ref == ref.strip().upper())
        )
    ).scalar_one_or_none()
    if offer is None or offer.status in lifecycle.NEVER_PUBLIC:
        raise NotFound(f"There is no placement {ref.strip()[:30]}.")
    return offer


async def open_form(ctx: Context, value: str) -> Reply:
    """The "Request places" button: the form for that offer."""
    await lead_hei(ctx)
    offer = await _public_offer(ctx, value)
    return Reply(
        text=f"Request places on {offer.ref} ({offer.profession}, "
        f"{show_range(offer.start_date, offer.end_date)}, {offer.capacity} places).",
        form=request_form(offer.ref),
        private=True,
    )


REQUEST_USAGE = "placement request PL-2027-0042 2 year 2 students, Tuesdays off"


async def request(ctx: Context, rest: str) -> Reply:
    """`placement request REF [N] [note]`: no number opens the form; with one, it asks."""
    words = rest.split(maxsplit=2)
    ref = need_ref(words, REQUEST_USAGE)
    if len(words) == 1:
        return await open_form(ctx, ref)
    students = whole_number(words[1], most_digits=3)
    if students is None:
        raise UserError("Say how many students after the reference.", example=REQUEST_USAGE)
    values = {"ref": ref, "students": str(students), "note": words[2] if len(words) > 2 else ""}
    reply = await submit_form(ctx, values)
    if reply.form is not None:  # in a sentence, as it was typed
        raise UserError(
            reply.text.removeprefix("Please check the highlighted fields. "), example=REQUEST_USAGE
        )
    return reply


async def submit_form(ctx: Context, values: dict[str, str]) -> Reply:
    """The submitted form: the request made, or the form again with the problem beside its field."""
    try:
        _made, said = await request_from_form(ctx, values)
    except FieldErrors as problem:
        return _again(values, problem.errors)
    except UserError as problem:
        if problem.field is None:
            raise
        return _again(values, {problem.field: problem.message})
    return Reply(
        text=f"{said} `placement requests` shows where your requests stand.",
        tone="success",
        private=True,
    )


def _again(values: dict[str, str], errors: dict[str, str]) -> Reply:
    ref = values.get("ref", "")
    return Reply(
        text="Please check the highlighted fields. " + " ".join(errors.values()),
        tone="error",
        form=request_form(ref, errors, values),
        private=True,
    )


def request_item(request: PlacementRequest, offer: PlacementOffer) -> Item:
    facts = [
        Fact("Students", str(request.students)),
        Fact("Dates", show_range(offer.start_date, offer.end_date)),
        Fact("Asked", show(request.created_at.date())),
    ]
    if request.status == "held":
        facts.append(Fact("Released", show(offer.release_at.date())))
    if request.note:
        facts.append(Fact("Note", request.note[:200]))
    return Item(
        title=f"{offer.ref}#{request.id} · {offer.profession}",
        text=STATUS_WORDS.get(request.status, request.status),
        facts=tuple(facts),
    )


async def hei_requests(ctx: Context, rest: str) -> Reply:
    """`placement requests [REF]` for an HEI lead: their HEI's requests, newest first."""
    hei = await lead_hei(ctx)
    ref = need_ref(rest.split(), "placement requests PL-2027-0042") if rest.strip() else None
    found = await placement_requests.requests_of(ctx, hei, ref)
    offers = {
        offer.ref: offer
        for offer in (
            await ctx.session.execute(
                select(PlacementOffer).where(PlacementOffer.ref.in_({r for _, r in found}))
            )
        ).scalars()
    }
    if not found:
        return Reply(
            text=f"{hei.name} has no requests{f' on {ref}' if ref else ''} yet. "
            "Press “Request places” on an offer in your digest or report page.",
            private=True,
        )
    return Reply(
        text=f"{hei.name}'s requests: {len(found)}.",
        items=tuple(request_item(request, offers[r]) for request, r in found[:50]),
        private=True,
    )
