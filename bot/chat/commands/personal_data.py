"""`admin person export EMAIL` and `admin person erase EMAIL`: a faculty lead answers a subject
access or erasure request from chat. Export answers with what is held, counted by kind (the whole
JSON document comes from `placebot person export EMAIL -o FILE`); erase asks first, as
withdrawing an offer does, and the Yes button erases."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.kernel.context import Context
from bot.kernel.errors import NotAllowed, UserError
from bot.kernel.messages import Button, Fact, Reply
from bot.privacy import erase, export
from storage.tables import Person, PlacementOffer

EXPORT_EXAMPLE = "admin person export jo.bloggs@nuh.nhs.uk"
ERASE_EXAMPLE = "admin person erase jo.bloggs@nuh.nhs.uk"
CONFIRM = "person.erase.confirm"  # the button ids, as written in the Buttons below
KEEP = "person.erase.keep"


def _email(words: list[str], example: str) -> str:
    if len(words) != 1:
        raise UserError("Give one work email, the person's.", example=example)
    return words[0].removeprefix("mailto:")  # Slack may send an address as a mailto link


async def run(ctx: Context, rest: str) -> Reply:
    words = rest.split()
    verb = words[0].lower() if words else ""
    if verb == "export":
        return await export_summary(ctx, _email(words[1:], EXPORT_EXAMPLE))
    if verb == "erase":
        return await ask(ctx, _email(words[1:], ERASE_EXAMPLE))
    raise UserError("`admin person` needs export or erase, then the work email.",
                    example=EXPORT_EXAMPLE)  # fmt: skip


async def export_summary(ctx: Context, email: str) -> Reply:
    document = await export.export(ctx, email)
    address = document["profile"]["email"]
    held = tuple(Fact(what.capitalize(), str(n)) for what, n in export.summary(document) if n)
    return Reply(
        text=f"What PlaceBot holds about {address}, counted. For the whole record as a JSON "
        f"file to send them, run `placebot person export {address} -o FILE.json` on the server.",
        facts=held,
        private=True,
    )


def _not_self(ctx: Context, person: Person) -> None:
    if ctx.require_person().id == person.id:
        raise NotAllowed(
            "You cannot erase yourself from chat. Ask another faculty lead, or run "
            "`placebot person erase EMAIL` on the server."
        )


async def ask(ctx: Context, email: str) -> Reply:
    """What erasing will do, with Yes, erase and Keep them. The button carries the person's id,
    not their email, so the platform's record of the press does not name them."""
    person = await erase.find_person(ctx, email)
    _not_self(ctx, person)
    offers = await ctx.session.scalar(
        select(func.count()).where(PlacementOffer.created_by_id == person.id)
    )
    return Reply(
        text=f"Erase {person.email}? Their name, email, chat identities, roles and nudges go; "
        f"messages to them are emptied; audit events keep what was done but not by whom. "
        f"Offers they posted stay in the register, credited to their team ({offers} of them). "
        "This cannot be undone.",
        buttons=(
            Button("Yes, erase", "person.erase.confirm", str(person.id), style="danger"),
            Button("Keep them", "person.erase.keep", ""),
        ),
        private=True,
    )


async def confirmed(ctx: Context, value: str) -> Reply:
    person = await ctx.session.get(Person, int(value)) if value.isdigit() else None
    if person is None or person.email is None:
        return Reply(text="Nothing to erase: their data is already erased.", private=True)
    _not_self(ctx, person)
    done = await erase.erase_person(ctx, person)
    return Reply(text=done.line(), tone="success", private=True)


async def keep(_ctx: Context, _value: str) -> Reply:
    return Reply(text="Nothing was erased.", private=True)
