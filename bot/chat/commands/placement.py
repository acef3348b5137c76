"""`placement ...`: offers, lists, edits, withdrawals and confirmations; blocks and answers (in
`blocks`) and joining a team (in `membership`) are routed from here too."""

from __future__ import annotations

import re

from bot.chat import suggest
from bot.chat.commands import answers as answer_commands
from bot.chat.commands import blocks as block_commands
from bot.chat.commands import hei_requests as hei_request_commands
from bot.chat.commands import membership as membership_commands
from bot.chat.commands import offer_lists, withdrawal
from bot.chat.commands.refs import need_ref, ref_and_version
from bot.chat.help import help_reply
from bot.kernel.context import Context
from bot.kernel.errors import FieldErrors, UserError
from bot.kernel.messages import Button, Reply
from bot.kernel.numbers import whole_number
from bot.offers import edits as offer_edits
from bot.offers import pending as pending_offers
from bot.offers import service as offers
from bot.offers.changes import edited_headline
from bot.offers.form import offer_form, read_offer_form
from bot.offers.parsing import OFFER_EXAMPLE, read_offer_line
from bot.offers.places import match_place
from bot.offers.views import draft_facts, offer_card, offer_facts, posted_headline
from bot.people.directory import has_role
from bot.people.permissions import require_manage_offer
from bot.requests import service as placement_requests
from bot.requests.messages import request_reply
from storage import lifecycle


async def offer(ctx: Context, rest: str) -> Reply:
    """A line read exactly is posted at once; one read with a guess, or raising a question,
    is shown as read with Post and Edit, and stored only when Post is pressed."""
    if not rest.strip():
        return Reply(text="Fill in the offer form.", form=offer_form(), private=True)
    reading = read_offer_line(rest, ctx.clock.today())
    asked = await pending_offers.questions(ctx, reading)
    if not asked:
        created = await offers.create_offer(ctx, reading.draft)
        return offer_card(created, ctx.person, posted_headline(created))
    waiting = await pending_offers.hold(ctx, rest, reading.draft)
    place = await match_place(ctx.session, reading.draft.place.strip(), ctx.require_person())
    return Reply(
        text=f"Here is how I read it. {' '.join(asked)} Press Post to put it in the register, "
        "or Edit to change it.",
        facts=draft_facts(reading.draft, place.text),
        buttons=(
            Button("Post", "offer.post", waiting.id, style="primary"),
            Button("Edit", "offer.reading.edit", waiting.id),
        ),
        private=True,
    )


async def post_reading(ctx: Context, rest: str) -> Reply:
    """`placement post TOKEN`, or the Post button under a reading: stores it once."""
    posted, before = await pending_offers.post(ctx, rest)
    if before:
        return offer_card(posted, ctx.person, f"Already posted: {posted.ref}.")
    return offer_card(posted, ctx.person, posted_headline(posted))


async def edit_reading(ctx: Context, value: str) -> Reply:
    """The Edit button under a reading: the offer form, filled in as it was read."""
    _, draft = await pending_offers.held(ctx, value)
    return Reply(text="Change what I misread.", form=offer_form(draft), private=True)


async def submit_offer_form(ctx: Context, values: dict[str, str]) -> Reply:
    draft = read_offer_form(values, ctx.clock.today())
    created = await offers.create_offer(ctx, draft)
    return offer_card(created, ctx.person, posted_headline(created))


async def submit_edit_form(ctx: Context, values: dict[str, str]) -> Reply:
    ref, version = values.get("ref", ""), values.get("version", "")
    draft = read_offer_form(values, ctx.clock.today())
    was = offer_facts(await offers.get_offer(ctx, ref))
    updated = await offers.update_offer(ctx, ref, draft, whole_number(version))
    return offer_card(updated, ctx.person, edited_headline(was, updated))


async def edit(ctx: Context, rest: str) -> Reply:
    usage = "placement edit PL-2027-0042 capacity 3"
    words = rest.split()
    ref = need_ref(words, usage)
    current = await offers.get_offer(ctx, ref)
    if len(words) == 1:
        return await open_edit_form(ctx, f"{current.ref}:{current.version}")
    if len(words) == 2:
        raise UserError(f"Give the new value for {words[1][:20]}.", example=usage)
    key = offer_edits.field_for(words[1])
    draft = offer_edits.apply_change(
        offers.draft_of(current), key, " ".join(words[2:]), ctx.clock.today(), current.ref
    )
    was = offer_facts(current)
    try:
        updated = await offers.update_offer(ctx, ref, draft, None)
    except FieldErrors as problem:
        example = offer_edits.example_for(key, current.ref)
        raise UserError(" ".join(problem.errors.values()), example=example) from None
    return offer_card(updated, ctx.person, edited_headline(was, updated))


async def open_edit_form(ctx: Context, value: str) -> Reply:
    ref, _ = ref_and_version(value)
    current = await offers.get_offer(ctx, ref)
    require_manage_offer(ctx.require_person(), current, "edit")
    if current.status not in lifecycle.EDITABLE:
        raise UserError(f"{current.ref} is {current.status}; only open offers can be edited.")
    form = offer_form(offers.draft_of(current), edit=(current.ref, current.version))
    return Reply(text=f"Edit {current.ref}.", form=form, private=True)


_REQUEST_ID = re.compile(r"^#?(\d+)$")


def _request_and_rest(words: list[str]) -> tuple[int | None, str]:
    """`#7 no educator that week` -> (7, "no educator that week"); the number is optional."""
    if len(words) > 1 and (found := _REQUEST_ID.match(words[1])):
        return int(found.group(1)), " ".join(words[2:])
    return None, " ".join(words[1:])


async def confirm(ctx: Context, rest: str) -> Reply:
    words = rest.split()
    ref = need_ref(words, "placement confirm PL-2027-0042")
    request_id, _ = _request_and_rest(words)
    confirmed = await placement_requests.decide(ctx, ref, True, request_id)
    return offer_card(confirmed, ctx.person, f"{confirmed.ref} is confirmed.")


async def decline(ctx: Context, rest: str) -> Reply:
    words = rest.split()
    ref = need_ref(words, "placement decline PL-2027-0042 no educator that week")
    request_id, reason = _request_and_rest(words)
    declined = await placement_requests.decide(ctx, ref, False, request_id, reason)
    return offer_card(
        declined, ctx.person, f"Declined: the HEI is told. {declined.ref} is {declined.status}."
    )


async def requests(ctx: Context, rest: str) -> Reply:
    person = ctx.require_person()
    if has_role(person, "hei_lead") and not any(
        has_role(person, role) for role in ("clinician", "coordinator", "faculty_lead")
    ):
        return await hei_request_commands.hei_requests(ctx, rest)
    ref = need_ref(rest.split(), "placement requests PL-2027-0042")
    offer, waiting = await placement_requests.pending_for(ctx, ref)
    return request_reply(offer, waiting)


async def placement_help(_ctx: Context, _rest: str) -> Reply:
    return help_reply()


SUBCOMMANDS = {
    "help": placement_help,
    "offer": offer,
    "list": offer_lists.list_offers,
    "mine": offer_lists.mine,
    "edit": edit,
    "withdraw": withdrawal.withdraw,
    "undo": withdrawal.undo,
    "confirm": confirm,
    "decline": decline,
    "requests": requests,
    "request": hei_request_commands.request,
    "blocks": block_commands.list_blocks,
    "answers": answer_commands.answers,
    "block": block_commands.add_block,
    "none": block_commands.answer_none,
    "maybe": block_commands.answer_maybe,
    "join": membership_commands.join,
    "member": membership_commands.member,
    "post": post_reading,
}


async def run(ctx: Context, rest: str) -> Reply:
    words = rest.split(maxsplit=1)
    if not words:
        return help_reply()
    handler = SUBCOMMANDS.get(words[0].lower())
    rest = words[1] if len(words) > 1 else ""
    if handler is None:
        raise suggest.unknown_word("placement", words[0], rest, SUBCOMMANDS, {}, OFFER_EXAMPLE)
    return await handler(ctx, rest)
