"""A person's home page (Slack App Home, Teams personal tab): their offers, blocks and training."""

from __future__ import annotations

from bot.blocks import service as blocks
from bot.blocks.views import answers_for_a_team, block_item
from bot.kernel import professions
from bot.kernel.context import Context
from bot.kernel.messages import Button, Item, Reply
from bot.offers import finding
from bot.offers.views import offer_item
from bot.training import catalogue as training
from bot.training.views import training_item


async def home(ctx: Context) -> Reply:
    person = ctx.require_person()
    codes = professions.split_codes(person.professions)
    mine = await finding.mine(ctx)
    open_blocks = [
        view
        for view in await blocks.open_blocks(ctx)
        if not codes or view.block.profession in codes
    ]
    events = await training.upcoming(
        ctx, training.TrainingQuery(profession=codes[0] if len(codes) == 1 else None, limit=5)
    )
    items: list[Item] = [Item(title="Your team's offers", text="None yet." if not mine else "")]
    items += [offer_item(offer, person) for offer in mine[:10]]
    items.append(
        Item(title="Blocks that need places", text="None open." if not open_blocks else "")
    )
    answering = answers_for_a_team(person)
    items += [block_item(view, answering) for view in open_blocks[:5]]
    items.append(Item(title="Next educator training", text="None coming up." if not events else ""))
    items += [training_item(event, ctx.clock) for event in events]
    return Reply(
        text=f"Hello {person.display_name}. Offer a placement in one line, or use the form.",
        buttons=(Button("Offer a placement", "offer.form", "", style="primary"),),
        items=tuple(items),
        private=True,
    )
