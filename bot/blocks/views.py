"""How the core shows a placement block: dates, demand, the team's answer, the answer buttons."""

from __future__ import annotations

from bot.blocks.service import BlockView
from bot.kernel.dates import show, show_range
from bot.kernel.messages import Button, Fact, Item

ANSWER_WORDS = {"offering": "offering", "maybe": "maybe", "no_capacity": "no capacity"}


def block_item(view: BlockView) -> Item:
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
    return Item(
        title=f"{block.ref} · {block.cohort}",
        facts=tuple(facts),
        buttons=(
            Button("Offer places", "block.offer", block.ref, style="primary"),
            Button("Maybe", "block.maybe", block.ref),
            Button("No capacity", "block.none", block.ref),
        ),
    )
