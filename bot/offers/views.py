"""How the core shows offers: facts, buttons, cards and lists as platform-neutral replies."""

from __future__ import annotations

from bot.kernel.date_display import show_range
from bot.kernel.messages import Button, Fact, Item, Reply
from bot.kernel.professions import profession_name
from bot.kernel.vocabulary import SETTINGS, STUDENT_LEVELS, SUPERVISION_MODELS
from bot.offers.parsing import OfferDraft
from bot.people.permissions import can_manage_offer
from storage import lifecycle
from storage.tables import Person, PlacementOffer


def offer_place(offer: PlacementOffer) -> str:
    parts = [offer.place_text]
    known = offer.team.name if offer.team else None
    if known and known.lower() not in offer.place_text.lower():
        parts.append(known)
    if offer.site and offer.site.name.lower() not in " ".join(parts).lower():
        parts.append(offer.site.name)
    return ", ".join(part for part in parts if part)


def status_words(offer: PlacementOffer) -> str:
    if offer.status in lifecycle.HELD:
        return "awaiting confirmation"
    return "not published" if offer.status == lifecycle.DROPPED else offer.status


def posted_headline(offer: PlacementOffer) -> str:
    """The poster's thanks: in the register, or held until someone confirms they work there."""
    if offer.status not in lifecycle.HELD:
        return f"Thank you: offer {offer.ref} is in the register."
    if offer.team is not None:
        standing = f"a member of {offer.team.name}"
    else:
        standing = f"known to work at {offer.site.name if offer.site else offer.place_text}"
    return (
        f"Thank you: {offer.ref} is saved. As you are not yet {standing}, it is held "
        "until the team's coordinator confirms you work there (I have asked them); HEIs see it "
        "then. `placement mine` shows it meanwhile."
    )


def offer_facts(offer: PlacementOffer) -> tuple[Fact, ...]:
    facts = [
        Fact("Profession", profession_name(offer.profession)),
        Fact("Dates", show_range(offer.start_date, offer.end_date)),
        Fact("Students", str(offer.capacity)),
        Fact("Place", offer_place(offer)),
        Fact("Status", status_words(offer)),
    ]
    if offer.supervision_model:
        facts.append(Fact("Supervision", SUPERVISION_MODELS[offer.supervision_model]))
    if offer.student_level:
        facts.append(Fact("Level", STUDENT_LEVELS[offer.student_level]))
    if offer.setting:
        facts.append(Fact("Setting", SETTINGS[offer.setting]))
    if offer.educator:
        facts.append(Fact("Educator", offer.educator))
    if offer.block:
        facts.append(Fact("Block", f"{offer.block.ref} {offer.block.cohort}"))
    if offer.notes:
        facts.append(Fact("Notes", offer.notes))
    return tuple(facts)


def draft_facts(draft: OfferDraft, place: str) -> tuple[Fact, ...]:
    """An offer as read from a line, before it is stored: the facts its card will show."""
    facts = [Fact("Profession", profession_name(draft.profession))]
    if draft.start and draft.end:
        facts.append(Fact("Dates", show_range(draft.start, draft.end)))
    facts += [Fact("Students", str(draft.capacity or 1)), Fact("Place", place)]
    for label, code, names in (
        ("Supervision", draft.supervision_model, SUPERVISION_MODELS),
        ("Level", draft.student_level, STUDENT_LEVELS),
        ("Setting", draft.setting, SETTINGS),
    ):
        if code:
            facts.append(Fact(label, names[code]))
    for label, text in (("Educator", draft.educator), ("Block", draft.block_ref)):
        if text:
            facts.append(Fact(label, text))
    if draft.notes:
        facts.append(Fact("Notes", draft.notes))
    return tuple(facts)


def offer_buttons(offer: PlacementOffer, viewer: Person | None) -> tuple[Button, ...]:
    if viewer is None or not can_manage_offer(viewer, offer):
        return ()
    value = f"{offer.ref}:{offer.version}"
    buttons = []
    if offer.status in lifecycle.EDITABLE:
        buttons.append(Button("Edit", "offer.edit", value))
    if offer.status == lifecycle.REQUESTED:
        buttons.append(Button("Confirm", "offer.confirm", offer.ref, style="primary"))
        buttons.append(Button("Decline", "offer.decline", offer.ref))
    if offer.status in (*lifecycle.HELD, *lifecycle.LIVE):
        buttons.append(Button("Withdraw", "offer.withdraw", value, style="danger"))
    return tuple(buttons)


def offer_item(offer: PlacementOffer, viewer: Person | None) -> Item:
    return Item(
        title=f"{offer.ref} · {offer.profession} · {offer_place(offer)}",
        facts=offer_facts(offer),
        buttons=offer_buttons(offer, viewer),
    )


def offer_card(offer: PlacementOffer, viewer: Person | None, headline: str) -> Reply:
    return Reply(
        text=headline,
        tone="success",
        facts=(Fact("Reference", offer.ref), *offer_facts(offer)),
        buttons=offer_buttons(offer, viewer),
    )


def offers_list(
    offers: list[PlacementOffer], total: int, viewer: Person | None, heading: str
) -> Reply:
    if not offers:
        return Reply(text=f"{heading}: none found.", private=True)
    more = (
        f" Showing the first {len(offers)} of {total}; narrow with from/to dates."
        if total > len(offers)
        else ""
    )
    return Reply(
        text=f"{heading}: {total}.{more}",
        items=tuple(offer_item(offer, viewer) for offer in offers),
        private=True,
    )
