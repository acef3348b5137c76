"""Withdrawing an offer from chat: the button asks first, then withdraws; either way the answer
carries Undo (and `placement undo REF`) for the minutes a withdrawal can be taken back."""

from __future__ import annotations

from bot.chat.commands.refs import need_ref, ref_and_version
from bot.kernel.context import Context
from bot.kernel.messages import Button, Reply
from bot.offers import service as offers
from bot.offers import withdrawal
from bot.offers.views import offer_card, offer_facts
from storage import lifecycle

WITHDRAW_EXAMPLE = "placement withdraw PL-2027-0042 staff sickness"
MINUTES = int(withdrawal.UNDO_WINDOW.total_seconds() // 60)


async def ask(ctx: Context, value: str) -> Reply:
    """The Withdraw button: what withdrawing will do, and the buttons to do it or not."""
    ref, version = ref_and_version(value)
    offer = await withdrawal.about_to_withdraw(ctx, ref, version)
    if offer.status in withdrawal.GONE:
        return offer_card(offer, ctx.person, f"{offer.ref} is already withdrawn.")
    if offer.status in lifecycle.HELD:
        effect = "HEIs never saw it, and it will not be published."
    else:
        effect = "HEIs will see it as withdrawn"
        effect += (
            "; the HEI requests on it are cancelled." if offer.status != lifecycle.OFFERED else "."
        )
        effect += f" You can undo it for {MINUTES} minutes."
    return Reply(
        text=f"Withdraw {offer.ref}? {effect} To say why, type "
        f"`placement withdraw {offer.ref} REASON` instead.",
        facts=offer_facts(offer),
        buttons=(
            Button(
                "Yes, withdraw",
                "offer.withdraw.confirm",
                f"{offer.ref}:{offer.version}",
                style="danger",
            ),
            Button("Keep it", "offer.keep", offer.ref),
        ),
        private=True,
    )


async def keep(ctx: Context, value: str) -> Reply:
    offer = await offers.get_offer(ctx, ref_and_version(value)[0])
    return offer_card(offer, ctx.person, f"Nothing changed: {offer.ref} stays {offer.status}.")


async def withdraw(ctx: Context, rest: str, version: int | None = None) -> Reply:
    """`placement withdraw REF [reason]`, or the confirming button: withdraw now."""
    words = rest.split()
    ref = need_ref(words, WITHDRAW_EXAMPLE)
    withdrawn = await offers.withdraw_offer(ctx, ref, " ".join(words[1:]), version)
    if withdrawn.status == lifecycle.DROPPED:
        return offer_card(
            withdrawn, ctx.person, f"{withdrawn.ref} is withdrawn. HEIs never saw it."
        )
    card = offer_card(
        withdrawn,
        ctx.person,
        f"{withdrawn.ref} is withdrawn. HEIs will see it as withdrawn. Changed your mind? "
        f"Undo, or `placement undo {withdrawn.ref}`, within {MINUTES} minutes.",
    )
    return Reply(
        text=card.text,
        tone=card.tone,
        facts=card.facts,
        buttons=(*card.buttons, Button("Undo", "offer.undo", withdrawn.ref)),
    )


async def undo(ctx: Context, rest: str) -> Reply:
    ref = need_ref(rest.split(), "placement undo PL-2027-0042")
    restored = await withdrawal.undo_withdraw(ctx, ref)
    return offer_card(
        restored,
        ctx.person,
        f"Undone: {restored.ref} is back, {restored.status}. HEIs see it again.",
    )
