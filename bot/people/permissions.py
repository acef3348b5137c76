"""Who may change what. Declared once here, not scattered through the commands."""

from __future__ import annotations

from bot.kernel.errors import NotAllowed
from bot.people.directory import has_role
from storage.tables import Person, PlacementOffer


def can_manage_offer(person: Person, offer: PlacementOffer) -> bool:
    """The offering team, the person who posted it, the provider's coordinator, the faculty lead."""
    if has_role(person, "faculty_lead") or offer.created_by_id == person.id:
        return True
    if person.team_id is not None and person.team_id == offer.team_id:
        return True
    return offer.provider_id is not None and has_role(person, "coordinator", offer.provider_id)


def require_manage_offer(person: Person, offer: PlacementOffer, verb: str) -> None:
    if not can_manage_offer(person, offer):
        raise NotAllowed(
            f"Only the team that offered {offer.ref}, its practice-education coordinator or the "
            f"faculty lead can {verb} it. Ask one of them, or see your own offers with "
            "`placement mine`."
        )


def require_any_role(person: Person, roles: tuple[str, ...], doing: str) -> None:
    if not any(has_role(person, role) for role in roles):
        who = " or ".join(role.replace("_", " ") + "s" for role in roles)
        raise NotAllowed(f"Only {who} can {doing}. Ask your AHP faculty lead for the role.")
