"""Placement blocks (an HEI's demand) and the teams' answers to them (offering, maybe, none)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from bot.blocks.demand import block_demands
from bot.kernel import audit, date_display, events
from bot.kernel.context import Context
from bot.kernel.errors import NotFound, UserError
from bot.kernel.refs import next_ref
from bot.people.directory import has_role
from bot.people.permissions import require_any_role
from storage.tables import (
    CapacityAnswer,
    Organisation,
    Person,
    PlacementBlock,
)


@dataclass(frozen=True)
class BlockView:
    """A block with the demand it still has: students to place against places offered so far."""

    block: PlacementBlock
    offered: int
    my_answer: str | None

    @property
    def short_by(self) -> int:
        return max(0, self.block.students - self.offered)


async def open_blocks(ctx: Context, profession: str | None = None) -> list[BlockView]:
    """Blocks still taking offers, soonest deadline first, with places offered so far (each
    offer counted once, `bot.blocks.demand`)."""
    conditions = [PlacementBlock.offers_close >= ctx.clock.today()]
    if profession:
        conditions.append(PlacementBlock.profession == profession)
    found = (await block_demands(ctx.session, *conditions)).blocks
    if not found:
        return []
    rows = await ctx.session.execute(
        select(PlacementBlock).where(PlacementBlock.id.in_([b.block_id for b in found]))
    )
    by_id = {block.id: block for block in rows.unique().scalars()}
    answers = await _answers_by_block(ctx, list(by_id))
    return [BlockView(by_id[b.block_id], b.places, answers.get(b.block_id)) for b in found]


def _respondent_key(person: Person) -> str:
    return f"team:{person.team_id}" if person.team_id is not None else f"person:{person.id}"


async def _answers_by_block(ctx: Context, block_ids: list[int]) -> dict[int, str]:
    if ctx.person is None or not block_ids:
        return {}
    rows = await ctx.session.execute(
        select(CapacityAnswer.block_id, CapacityAnswer.answer).where(
            CapacityAnswer.block_id.in_(block_ids),
            CapacityAnswer.respondent_key == _respondent_key(ctx.person),
        )
    )
    return {block_id: answer for block_id, answer in rows.all()}


async def get_block(ctx: Context, ref: str) -> PlacementBlock:
    block = (
        await ctx.session.execute(
            select(PlacementBlock).where(PlacementBlock.ref == ref.strip().upper())
        )
    ).scalar_one_or_none()
    if block is None:
        raise NotFound(
            f"There is no placement block “{ref.strip()[:30]}”. `placement blocks` lists the open "
            "ones with their references (like BL-2027-0001)."
        )
    return block


async def answer_block(
    ctx: Context, ref: str, answer: str, ask_again_on: date | None = None
) -> CapacityAnswer:
    """Record (or change) this team's answer to a block. One answer per team per block."""
    block = await get_block(ctx, ref)
    if ask_again_on is not None and ask_again_on <= ctx.clock.today():
        raise UserError(
            "The date to ask again must be after today.",
            example=f"placement maybe {block.ref} ask again 12 Jan",
        )
    person = ctx.require_person()
    require_any_role(person, ("clinician", "coordinator"), "answer for a team")
    key = _respondent_key(person)
    existing = (
        await ctx.session.execute(
            select(CapacityAnswer).where(
                CapacityAnswer.block_id == block.id, CapacityAnswer.respondent_key == key
            )
        )
    ).scalar_one_or_none()
    before = audit.snapshot(existing) if existing else None
    if existing is None:
        existing = CapacityAnswer(block_id=block.id, respondent_key=key)
        ctx.session.add(existing)
    existing.team_id = person.team_id
    existing.person_id = person.id
    existing.answer = answer
    existing.ask_again_on = ask_again_on
    existing.answered_at = ctx.clock.now()
    await ctx.session.flush()
    await events.announce(ctx, events.BlockAnswered(block.ref, person.team_id, person.id))
    audit.record(
        ctx, "block.answer", "capacity_answer", block.ref, before, audit.snapshot(existing)
    )
    return existing


@dataclass(frozen=True)
class NewBlock:
    profession: str
    cohort: str
    start: date
    end: date
    students: int
    offers_close: date
    hei_name: str = ""


async def _hei_for(ctx: Context, hei_name: str) -> Organisation:
    person = ctx.person
    if person is not None and has_role(person, "hei_lead") and not hei_name:
        hei = person.organisation
        if hei is not None and hei.kind == "hei":
            return hei
    if not hei_name:
        raise UserError("Say which HEI the block belongs to, e.g. “for University of Lincoln”.")
    hei = (
        await ctx.session.execute(
            select(Organisation).where(
                Organisation.kind == "hei", func.lower(Organisation.name) == hei_name.lower()
            )
        )
    ).scalar_one_or_none()
    if hei is None:
        raise NotFound(f"I don't know the HEI “{hei_name[:60]}”; use its full name.")
    return hei


async def _room_for_another(ctx: Context, new: NewBlock, hei: Organisation) -> None:
    """An HEI's blocks of one profession with overlapping dates are bounded: each adds to its
    demand when places are shared out at release. The HEI's row is locked first (PostgreSQL), so
    two blocks added at once cannot both take the last place under the bound."""
    await ctx.session.execute(
        select(Organisation.id).where(Organisation.id == hei.id).with_for_update()
    )
    overlapping = await ctx.session.scalar(
        select(func.count(PlacementBlock.id)).where(
            PlacementBlock.hei_id == hei.id,
            PlacementBlock.profession == new.profession,
            PlacementBlock.start_date <= new.end,
            PlacementBlock.end_date >= new.start,
        )
    )
    most = ctx.settings.placebot_blocks_per_window_max
    if (overlapping or 0) >= most:
        raise UserError(
            f"{hei.name} already has {overlapping} {new.profession} blocks overlapping "
            f"{date_display.show_range(new.start, new.end)}, the most one HEI may have at once. "
            "Put this cohort's students into one of those blocks, or ask the AHP faculty to "
            "raise the limit."
        )


async def add_block(ctx: Context, new: NewBlock, hei: Organisation | None = None) -> PlacementBlock:
    """A new block. In chat the person's role decides the HEI; the API passes its caller's HEI."""
    if ctx.person is not None:
        require_any_role(ctx.person, ("hei_lead", "faculty_lead"), "add placement blocks")
    elif hei is None:
        raise UserError("Say which HEI the block belongs to.")
    hei = hei or await _hei_for(ctx, new.hei_name)
    person = ctx.person
    if person and not has_role(person, "faculty_lead") and person.organisation_id != hei.id:
        raise UserError("HEI leads add blocks for their own HEI only.")
    if new.end < new.start:
        raise UserError("The block ends before it starts; put the start first.")
    most = ctx.settings.placebot_block_students_max
    if not 1 <= new.students <= most:
        raise UserError(
            f"A block places from 1 to {most} students; this one says {new.students}. "
            f"For a larger cohort, add it as several blocks of up to {most} (one per "
            "rotation or site group), or ask the AHP faculty to raise the limit.",
            field="students",
        )
    if new.offers_close < ctx.clock.today():
        raise UserError("Offers for a new block must close today or later.")
    if new.offers_close > new.start:
        raise UserError("Offers must close on or before the block starts.")
    await _room_for_another(ctx, new, hei)
    now = ctx.clock.now()
    block = PlacementBlock(
        ref=await next_ref(ctx.session, f"BL-{new.start.year}"),
        hei_id=hei.id,
        profession=new.profession,
        cohort=new.cohort[:200],
        start_date=new.start,
        end_date=new.end,
        students=new.students,
        offers_close=new.offers_close,
        created_by_id=ctx.actor_id,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(block)
    await ctx.session.flush()
    audit.record(ctx, "block.create", "placement_block", block.ref, None, audit.snapshot(block))
    return block


async def blocks_of(ctx: Context, hei: Organisation) -> list[PlacementBlock]:
    """An HEI's blocks, soonest first: what the API shows the HEI that posted them."""
    rows = await ctx.session.execute(
        select(PlacementBlock)
        .where(PlacementBlock.hei_id == hei.id)
        .order_by(PlacementBlock.start_date, PlacementBlock.id)
        .limit(1000)
    )
    return list(rows.unique().scalars())
