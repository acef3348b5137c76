"""What an edit changed, in the words the offer card uses: "Students 2 → 3"."""

from __future__ import annotations

from bot.kernel.messages import Fact
from bot.offers.views import offer_facts
from storage.tables import PlacementOffer

NONE = "(none)"


def changed(before: tuple[Fact, ...], after: tuple[Fact, ...]) -> list[str]:
    """Each fact whose value differs, old -> new, in the card's order (removed ones last)."""
    old = {fact.label: fact.value for fact in before}
    new = {fact.label: fact.value for fact in after}
    labels = [*new, *(label for label in old if label not in new)]
    return [
        f"{label} {old.get(label, NONE)} → {new.get(label, NONE)}"
        for label in labels
        if old.get(label) != new.get(label)
    ]


def edited_headline(before: tuple[Fact, ...], offer: PlacementOffer) -> str:
    """The answer to an edit: what changed, or that nothing did."""
    changes = changed(before, offer_facts(offer))
    if not changes:
        return f"Nothing changed: {offer.ref} already says that (version {offer.version})."
    return f"Saved {offer.ref} (version {offer.version}). Changed: {'; '.join(changes)}."
