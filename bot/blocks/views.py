"""How the core shows a placement block: dates, demand, the team's answer, the answer buttons."""

from __future__ import annotations

from bot.blocks.answers import AnswerCounts
from bot.blocks.service import BlockView
from bot.kernel.date_display import show, show_range
from bot.kernel.messages import Button, Fact, Item
from bot.people.directory import has_role
from storage.tables import Person

ANSWER_WORDS = {"offering": "offering", "maybe": "maybe", "no_capacity": "no capacity"}


def block_item(
    view: BlockView, answering: bool = True, answers: AnswerCounts | None = None
) -> Item:
    """A block in a list. Its answer buttons are for those who answer for a team (clinicians,
    coordinators); leads, who cannot, see how the teams answered instead."""
    block = view.block
    facts = [
        Fact("HEI", block.hei.name),
        Fact("Dates", show_range(block.start_date, block.end_date)),
        Fact("Students to place", str(block.students)),
        Fact("Offered so far", f"{view.offered} (short by {view.short_by})"),
        Fact("Offers close", show(block.offers_close)),
    ]
    if view.my_answer:
        facts.append(Fact("Your team's answer", ANSWER_WORDS[view.my_answer]))
    if answers is not None:
        facts.append(Fact("Teams' answers", answers.words()))
    buttons = (
        Button("Offer places", "block.offer", block.ref, style="primary"),
        Button("Maybe", "block.maybe", block.ref),
        Button("No capacity", "block.none", block.ref),
    )
    return Item(
        title=f"{block.ref} · {block.cohort}",
        facts=tuple(facts),
        buttons=buttons if answering else (),
        text="" if answering else f"`placement answers {block.ref}` lists the teams",
    )


def answers_for_a_team(person: Person | None) -> bool:
    """Whether the person answers blocks for a team (and so is shown the answer buttons)."""
    return person is not None and any(
        has_role(person, role) for role in ("clinician", "coordinator")
    )
