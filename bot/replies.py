"""How the core shows records: offers, blocks and training events as platform-neutral replies."""

from __future__ import annotations

from bot.blocks import BlockView
from bot.clock import Clock
from bot.dates import show, show_range
from bot.messages import Button, Fact, Item, Reply
from bot.permissions import can_manage_offer
from bot.vocabulary import SETTINGS, STUDENT_LEVELS, SUPERVISION_MODELS
from config.professions import BY_CODE
from storage.tables import Person, PlacementOffer, TrainingEvent


def profession_name(code: str) -> str:
    profession = BY_CODE.get(code)
    return f"{profession.name} ({code})" if profession else code


def offer_place(offer: PlacementOffer) -> str:
    parts = [offer.place_text]
    known = offer.team.name if offer.team else None
    if known and known.lower() not in offer.place_text.lower():
        parts.append(known)
    if offer.site and offer.site.name.lower() not in " ".join(parts).lower():
        parts.append(offer.site.name)
    return ", ".join(part for part in parts if part)


def offer_facts(offer: PlacementOffer) -> tuple[Fact, ...]:
    facts = [
        Fact("Profession", profession_name(offer.profession)),
        Fact("Dates", show_range(offer.start_date, offer.end_date)),
        Fact("Students", str(offer.capacity)),
        Fact("Place", offer_place(offer)),
        Fact("Status", offer.status),
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


def offer_buttons(offer: PlacementOffer, viewer: Person | None) -> tuple[Button, ...]:
    if viewer is None or not can_manage_offer(viewer, offer):
        return ()
    value = f"{offer.ref}:{offer.version}"
    buttons = []
    if offer.status in ("offered", "requested"):
        buttons.append(Button("Edit", "offer.edit", value))
    if offer.status == "requested":
        buttons.append(Button("Confirm", "offer.confirm", offer.ref, style="primary"))
        buttons.append(Button("Decline", "offer.decline", offer.ref))
    if offer.status in ("offered", "requested", "confirmed"):
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


def training_item(event: TrainingEvent, clock: Clock) -> Item:
    starts, ends = clock.local(event.starts_at), clock.local(event.ends_at)
    when = f"{show(starts.date())}, {starts:%H:%M}–{ends:%H:%M}"
    facts = [
        Fact("When", when),
        Fact("Organiser", event.organiser),
        Fact("Where", event.location or event.mode),
    ]
    codes = [code for code in event.professions.split(",") if code]
    facts.append(Fact("For", ", ".join(codes) if codes else "all professions"))
    if event.booking_note:
        facts.append(Fact("Booking", event.booking_note))
    buttons = (Button("Book", "link", event.booking, url=event.booking),) if event.booking else ()
    return Item(title=event.title, facts=tuple(facts), buttons=buttons)
