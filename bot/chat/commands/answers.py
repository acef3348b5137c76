"""`placement answers BLOCK`: which teams were asked for a block and what each answered.

HEI leads see every team for their own HEI's blocks, faculty leads for every block;
coordinators and clinicians see their own provider's teams.
"""

from __future__ import annotations

from bot.blocks import answers as block_answers
from bot.blocks import service as blocks
from bot.blocks.demand import block_demands
from bot.chat.commands.refs import need_ref
from bot.kernel.context import Context
from bot.kernel.date_display import show, show_range
from bot.kernel.errors import NotAllowed
from bot.kernel.messages import Fact, Item, Reply
from bot.people.directory import has_role
from storage.tables import Person, PlacementBlock

USAGE = "placement answers BL-2027-0001"


def _item(answer: block_answers.TeamAnswer) -> Item:
    facts: list[Fact] = []
    if answer.state == "offering":
        facts.append(Fact("Places", str(answer.places)))
    if answer.ask_again_on is not None:
        facts.append(Fact("Ask again", show(answer.ask_again_on)))
    return Item(
        title=f"{answer.team} · {answer.provider}",
        text=block_answers.WORDS[answer.state],
        facts=tuple(facts),
    )


def _whose_teams(person: Person, block: PlacementBlock) -> frozenset[int] | None:
    """Whose teams the person may see answering: every team (None), or their providers'."""
    if has_role(person, "faculty_lead") or has_role(person, "hei_lead", block.hei_id):
        return None
    own = {g.organisation_id for g in person.roles if g.role == "coordinator"}
    if has_role(person, "clinician") and person.organisation_id is not None:
        own.add(person.organisation_id)
    if known := frozenset(i for i in own if i is not None):
        return known
    if has_role(person, "coordinator") or has_role(person, "clinician"):
        raise NotAllowed(
            "I don't know which provider you work for, so I can't show its teams' answers. "
            "Ask your placement coordinator to add you to your team."
        )
    raise NotAllowed(
        f"The answers to {block.ref} are for its HEI's placement lead, the AHP faculty lead "
        "and providers' coordinators (their own teams)."
    )


async def answers(ctx: Context, rest: str) -> Reply:
    ref = need_ref(rest.split(), USAGE)
    person = ctx.require_person()
    block = await blocks.get_block(ctx, ref)
    providers = _whose_teams(person, block)
    demand = (await block_demands(ctx.session, PlacementBlock.id == block.id)).blocks[0]
    listed = (await block_answers.team_answers(ctx.session, [demand], providers))[block.id]
    tally = block_answers.counts(listed)
    whose = "your teams" if providers is not None else "teams"
    return Reply(
        text=f"Answers to {block.ref} {block.cohort}: {len(listed)} {whose} of "
        f"{block.profession}: {tally.words()}.",
        facts=(
            Fact("Dates", show_range(block.start_date, block.end_date)),
            Fact("Students to place", str(block.students)),
            Fact("Offered so far", f"{demand.places} (short by {demand.short_by})"),
            Fact("Offers close", show(block.offers_close)),
        ),
        items=tuple(_item(answer) for answer in listed),
        private=True,
    )
