"""`placement ...`: offers, lists, edits, withdrawals, confirmations, blocks and answers."""

from __future__ import annotations

import re
from datetime import date

from bot.blocks import service as blocks
from bot.blocks.views import block_item
from bot.chat.help import help_reply
from bot.kernel import dates, professions
from bot.kernel.context import Context
from bot.kernel.errors import FieldErrors, UserError
from bot.kernel.messages import Reply
from bot.kernel.numbers import whole_number
from bot.offers import edits as offer_edits
from bot.offers import service as offers
from bot.offers.form import offer_form, read_offer_form
from bot.offers.parsing import OFFER_EXAMPLE, OfferDraft, parse_offer_line
from bot.offers.views import offer_card, offers_list
from bot.people.permissions import require_manage_offer
from bot.requests import service as placement_requests
from bot.requests.messages import request_reply
from storage import lifecycle

REF = re.compile(r"^(?:PL|BL)-\d{4}-\d{4,}$", re.IGNORECASE)


def ref_and_version(value: str) -> tuple[str, int | None]:
    ref, _, version = value.partition(":")
    return ref, whole_number(version)


def _need_ref(words: list[str], usage: str) -> str:
    if not words:
        raise UserError("Which offer or block? Give its reference.", example=usage)
    if not REF.match(words[0]):
        raise UserError(
            f"“{words[0][:30]}” is not a reference; they look like PL-2027-0042.", example=usage
        )
    return words[0].upper()


async def offer(ctx: Context, rest: str) -> Reply:
    if not rest.strip():
        return Reply(text="Fill in the offer form.", form=offer_form(), private=True)
    draft = parse_offer_line(rest, ctx.clock.today())
    created = await offers.create_offer(ctx, draft)
    return offer_card(created, ctx.person, f"Thank you: offer {created.ref} is in the register.")


async def submit_offer_form(ctx: Context, values: dict[str, str]) -> Reply:
    draft = read_offer_form(values, ctx.clock.today())
    created = await offers.create_offer(ctx, draft)
    return offer_card(created, ctx.person, f"Thank you: offer {created.ref} is in the register.")


async def submit_edit_form(ctx: Context, values: dict[str, str]) -> Reply:
    ref, version = values.get("ref", ""), values.get("version", "")
    draft = read_offer_form(values, ctx.clock.today())
    updated = await offers.update_offer(ctx, ref, draft, whole_number(version))
    return offer_card(
        updated, ctx.person, f"Saved: {updated.ref} is now version {updated.version}."
    )


def _list_filters(rest: str, today: date) -> offers.OfferFilter:
    words = rest.split()
    profession, words = professions.take_leading(words)
    text = " ".join(words)
    bounds: dict[str, date] = {}
    for word in ("from", "to"):
        match = re.search(rf"\b{word}\s+(?P<date>{dates.DATE})", text, re.IGNORECASE)
        if match:
            bounds[word] = dates.parse_date(match.group("date"), today)
            text = text[: match.start()] + text[match.end() :]
    return offers.OfferFilter(
        profession=profession.code if profession else None,
        starts_from=bounds.get("from"),
        starts_to=bounds.get("to"),
        place=text.strip(" ,") or None,
    )


async def list_offers(ctx: Context, rest: str) -> Reply:
    filters = _list_filters(rest, ctx.clock.today())
    found, total = await offers.find_offers(ctx, filters)
    return offers_list(found, total, ctx.person, "Open placement offers")


async def mine(ctx: Context, _rest: str) -> Reply:
    found = await offers.mine(ctx)
    return offers_list(found, len(found), ctx.person, "Your team's offers")


async def edit(ctx: Context, rest: str) -> Reply:
    usage = "placement edit PL-2027-0042 capacity 3"
    words = rest.split()
    ref = _need_ref(words, usage)
    current = await offers.get_offer(ctx, ref)
    if len(words) == 1:
        return await open_edit_form(ctx, f"{current.ref}:{current.version}")
    if len(words) == 2:
        raise UserError(f"Give the new value for {words[1][:20]}.", example=usage)
    key = offer_edits.field_for(words[1])
    draft = offer_edits.apply_change(
        offers.draft_of(current), key, " ".join(words[2:]), ctx.clock.today()
    )
    try:
        updated = await offers.update_offer(ctx, ref, draft, None)
    except FieldErrors as problem:
        raise UserError(" ".join(problem.errors.values()), example=usage) from None
    return offer_card(
        updated, ctx.person, f"Saved: {updated.ref} is now version {updated.version}."
    )


async def open_edit_form(ctx: Context, value: str) -> Reply:
    ref, _ = ref_and_version(value)
    current = await offers.get_offer(ctx, ref)
    require_manage_offer(ctx.require_person(), current, "edit")
    if current.status not in lifecycle.UNCONFIRMED:
        raise UserError(f"{current.ref} is {current.status}; only open offers can be edited.")
    form = offer_form(offers.draft_of(current), edit=(current.ref, current.version))
    return Reply(text=f"Edit {current.ref}.", form=form, private=True)


async def withdraw(ctx: Context, rest: str, version: int | None = None) -> Reply:
    words = rest.split()
    ref = _need_ref(words, "placement withdraw PL-2027-0042 staff sickness")
    withdrawn = await offers.withdraw_offer(ctx, ref, " ".join(words[1:]), version)
    return offer_card(
        withdrawn, ctx.person, f"{withdrawn.ref} is withdrawn. HEIs will see it as withdrawn."
    )


_REQUEST_ID = re.compile(r"^#?(\d+)$")


def _request_and_rest(words: list[str]) -> tuple[int | None, str]:
    """`#7 no educator that week` -> (7, "no educator that week"); the number is optional."""
    if len(words) > 1 and (found := _REQUEST_ID.match(words[1])):
        return int(found.group(1)), " ".join(words[2:])
    return None, " ".join(words[1:])


async def confirm(ctx: Context, rest: str) -> Reply:
    words = rest.split()
    ref = _need_ref(words, "placement confirm PL-2027-0042")
    request_id, _ = _request_and_rest(words)
    confirmed = await placement_requests.decide(ctx, ref, True, request_id)
    return offer_card(confirmed, ctx.person, f"{confirmed.ref} is confirmed.")


async def decline(ctx: Context, rest: str) -> Reply:
    words = rest.split()
    ref = _need_ref(words, "placement decline PL-2027-0042 no educator that week")
    request_id, reason = _request_and_rest(words)
    declined = await placement_requests.decide(ctx, ref, False, request_id, reason)
    return offer_card(
        declined, ctx.person, f"Declined: the HEI is told. {declined.ref} is {declined.status}."
    )


async def requests(ctx: Context, rest: str) -> Reply:
    ref = _need_ref(rest.split(), "placement requests PL-2027-0042")
    offer, waiting = await placement_requests.pending_for(ctx, ref)
    return request_reply(offer, waiting)


async def list_blocks(ctx: Context, rest: str) -> Reply:
    profession = professions.resolve(rest).code if rest.strip() else None
    views = await blocks.open_blocks(ctx, profession)
    if not views:
        return Reply(text="No placement blocks are taking offers just now.", private=True)
    return Reply(
        text=f"Placement blocks taking offers: {len(views)}.",
        items=tuple(block_item(view) for view in views),
        private=True,
    )


async def answer_none(ctx: Context, rest: str) -> Reply:
    ref = _need_ref(rest.split(), "placement none BL-2027-0001")
    await blocks.answer_block(ctx, ref, "no_capacity")
    return Reply(
        text=f"Thanks: recorded no capacity for {ref}. Knowing that helps as much as an offer.",
        tone="success",
        private=True,
    )


async def answer_maybe(ctx: Context, rest: str) -> Reply:
    usage = "placement maybe BL-2027-0001 ask again 12 Jan"
    words = rest.split()
    ref = _need_ref(words, usage)
    tail = " ".join(words[1:])
    match = re.search(rf"(?:ask\s+(?:me\s+)?again\s+(?:on\s+)?)?(?P<date>{dates.DATE})", tail, re.I)
    ask_again = dates.parse_date(match.group("date"), ctx.clock.today()) if match else None
    if tail and match is None:
        raise UserError("Give the date to ask again, e.g. “ask again 12 Jan”.", example=usage)
    await blocks.answer_block(ctx, ref, "maybe", ask_again)
    when = f" I'll ask again on {dates.show(ask_again)}." if ask_again else ""
    return Reply(text=f"Noted: maybe for {ref}.{when}", tone="success", private=True)


BLOCK_EXAMPLE = "placement block add PT year 2 block 2 13 Jan - 21 Feb 2027 12 students close 1 Dec"


async def add_block(ctx: Context, rest: str) -> Reply:
    words = rest.split()
    if not words or words[0].lower() != "add":
        raise UserError("To add a block, start with “block add”.", example=BLOCK_EXAMPLE)
    profession, words = professions.take_leading(words[1:])
    if profession is None:
        raise UserError("Start with the profession.", example=BLOCK_EXAMPLE)
    text = " ".join(words)
    hei_match = re.search(r"\bfor\s+(?P<hei>[^,]+)$", text, re.I)
    hei = hei_match.group("hei").strip() if hei_match else ""
    text = text[: hei_match.start()] if hei_match else text
    close = re.search(rf"\b(?:offers\s+)?close[sd]?\s+(?:on\s+)?(?P<date>{dates.DATE})", text, re.I)
    students = re.search(r"\b(?P<n>\d+)\s+students?\b", text, re.I)
    found, remainder = dates.find_range(text[: close.start()] if close else text, ctx.clock.today())
    if found is None or students is None or close is None:
        raise UserError(
            "A block needs dates, students to place and when offers close.", example=BLOCK_EXAMPLE
        )
    cohort = remainder.replace(students.group(0), " ")
    cohort = re.sub(r"\s+", " ", cohort).strip(" ,") or f"{profession.code} block"
    offers_close = dates.parse_date(close.group("date"), ctx.clock.today())
    block = await blocks.add_block(
        ctx,
        blocks.NewBlock(
            profession=profession.code,
            cohort=cohort
            if cohort.upper().startswith(profession.code)
            else f"{profession.code} {cohort}",
            start=found.start,
            end=found.end,
            students=int(students.group("n")),
            offers_close=offers_close,
            hei_name=hei,
        ),
    )
    return Reply(
        text=f"Block {block.ref} added: {block.cohort}, "
        f"{dates.show_range(block.start_date, block.end_date)}, {block.students} students, "
        f"offers close {dates.show(block.offers_close)}.",
        tone="success",
    )


async def open_offer_form_for_block(ctx: Context, block_ref: str) -> Reply:
    block = await blocks.get_block(ctx, block_ref)
    draft = OfferDraft(
        profession=block.profession,
        start=block.start_date,
        end=block.end_date,
        place=ctx.person.team.name if ctx.person and ctx.person.team else "",
        block_ref=block.ref,
    )
    return Reply(
        text=f"Offer places for {block.ref} {block.cohort}.", form=offer_form(draft), private=True
    )


async def placement_help(_ctx: Context, _rest: str) -> Reply:
    return help_reply()


SUBCOMMANDS = {
    "help": placement_help,
    "offer": offer,
    "list": list_offers,
    "mine": mine,
    "edit": edit,
    "withdraw": withdraw,
    "confirm": confirm,
    "decline": decline,
    "requests": requests,
    "blocks": list_blocks,
    "block": add_block,
    "none": answer_none,
    "maybe": answer_maybe,
}


async def run(ctx: Context, rest: str) -> Reply:
    words = rest.split(maxsplit=1)
    if not words:
        return help_reply()
    handler = SUBCOMMANDS.get(words[0].lower())
    if handler is None:
        raise UserError(
            f"I don't know “placement {words[0][:30]}”. Try one of: {', '.join(SUBCOMMANDS)}.",
            example=OFFER_EXAMPLE,
        )
    return await handler(ctx, words[1] if len(words) > 1 else "")
