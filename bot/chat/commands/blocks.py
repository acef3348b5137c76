"""`placement blocks`, `block add`, `none`, `maybe`: HEIs' placement blocks and teams' answers."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.blocks import service as blocks
from bot.blocks.answers import answer_counts
from bot.blocks.demand import BlockDemand, block_demands
from bot.blocks.views import answers_for_a_team, block_item
from bot.chat.commands.refs import need_ref
from bot.kernel import date_display, dates, professions
from bot.kernel.context import Context
from bot.kernel.errors import UserError
from bot.kernel.messages import Reply
from bot.offers.form import offer_form
from bot.offers.parsing import OfferDraft
from storage.tables import PlacementBlock


async def list_blocks(ctx: Context, rest: str) -> Reply:
    profession = professions.resolve(rest).code if rest.strip() else None
    views = await blocks.open_blocks(ctx, profession)
    if not views:
        which = f"{professions.profession_name(profession)} " if profession else ""
        also = " `placement blocks` alone lists every profession's." if profession else ""
        return Reply(
            text=f"No {which}placement blocks are taking offers just now.{also}", private=True
        )
    answering = answers_for_a_team(ctx.person)
    counts = {} if answering else await answer_counts(ctx.session, await _demands(ctx, views))
    return Reply(
        text=f"Placement blocks taking offers: {len(views)}.",
        items=tuple(block_item(view, answering, counts.get(view.block.id)) for view in views),
        private=True,
    )


async def _demands(ctx: Context, views: list[blocks.BlockView]) -> list[BlockDemand]:
    ids = [view.block.id for view in views]
    return (await block_demands(ctx.session, PlacementBlock.id.in_(ids))).blocks


async def answer_none(ctx: Context, rest: str) -> Reply:
    ref = need_ref(rest.split(), "placement none BL-2027-0001")
    await blocks.answer_block(ctx, ref, "no_capacity")
    return Reply(
        text=f"Thanks: recorded no capacity for {ref}. Knowing that helps as much as an offer.",
        tone="success",
        private=True,
    )


async def answer_maybe(ctx: Context, rest: str) -> Reply:
    usage = "placement maybe BL-2027-0001 ask again 12 Jan"
    words = rest.split()
    ref = need_ref(words, usage)
    tail = " ".join(words[1:])
    match = re.search(rf"(?:ask\s+(?:me\s+)?again\s+(?:on\s+)?)?(?P<date>{dates.DATE})", tail, re.I)
    ask_again = dates.parse_date(match.group("date"), ctx.clock.today()) if match else None
    if tail and match is None:
        raise UserError("Give the date to ask again, e.g. “ask again 12 Jan”.", example=usage)
    answer = await blocks.answer_block(ctx, ref, "maybe", ask_again)
    block = await blocks.get_block(ctx, ref)
    again = ask_again or answer.answered_at.date() + timedelta(
        days=ctx.settings.placebot_nudge_repeat_days
    )
    if again > block.offers_close:
        when = (
            f" Offers close on {date_display.show(block.offers_close)}, before I would ask "
            f"again ({date_display.show(again)}), so I won't: answer `placement none {ref}` or "
            "offer places before then."
        )
    elif ask_again:
        when = f" I'll ask again on {date_display.show(ask_again)}."
    else:
        when = (
            f" I'll ask again on {date_display.show(again)}; to choose the day, say "
            f"`placement maybe {ref} ask again 12 Jan`."
        )
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
    missing = [
        words
        for words, absent in (
            ("its dates (“13 Jan - 21 Feb 2027”)", found is None),
            ("the students to place (“12 students”)", students is None),
            ("when offers close (“close 1 Dec”)", close is None),
        )
        if absent
    ]
    if found is None or students is None or close is None:
        raise UserError(f"The block needs {_and(missing)}.", example=BLOCK_EXAMPLE)
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
        f"{date_display.show_range(block.start_date, block.end_date)}, {block.students} students, "
        f"offers close {date_display.show(block.offers_close)}.",
        tone="success",
    )


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


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
