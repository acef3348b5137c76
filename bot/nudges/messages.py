"""What a nudge says: one short, polite message with the facts and a button for each answer."""

from __future__ import annotations

from datetime import date

from bot.kernel.clock import Clock
from bot.kernel.date_display import show, show_range
from bot.kernel.messages import Button, Fact, Reply
from bot.kernel.professions import profession_name
from bot.offers.views import offer_place
from bot.training.views import training_item
from storage.tables import PlacementBlock, PlacementOffer, TrainingEvent

SNOOZE = Button("Snooze a week", "nudges.snooze", "1w")


def _in_days(day: date, today: date) -> str:
    days = (day - today).days
    return "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"


def offer_start(offer: PlacementOffer, waiting: int, own: bool, today: date) -> Reply:
    """An offer starting soon that no HEI has confirmed: confirm the requests, or withdraw."""
    whose = "Your" if own else "Your team's"
    if waiting:
        ask = (
            f"{waiting} HEI request{' is' if waiting == 1 else 's are'} waiting for an answer: "
            "please confirm if you can take the students."
        )
    else:
        ask = "No HEI has asked for it yet. If it can no longer go ahead, please withdraw it."
    facts = [
        Fact("Reference", offer.ref),
        Fact("Profession", profession_name(offer.profession)),
        Fact("Dates", show_range(offer.start_date, offer.end_date)),
        Fact("Students", str(offer.capacity)),
        Fact("Place", offer_place(offer)),
    ]
    if waiting:
        facts.append(Fact("Requests waiting", str(waiting)))
    buttons = [Button("Confirm", "offer.confirm", offer.ref, style="primary")] if waiting else []
    buttons += [
        Button("Withdraw", "offer.withdraw", f"{offer.ref}:{offer.version}", style="danger"),
        SNOOZE,
    ]
    return Reply(
        text=f"{whose} placement offer {offer.ref} starts {_in_days(offer.start_date, today)} "
        f"and is not confirmed yet. {ask}",
        facts=tuple(facts),
        buttons=tuple(buttons),
    )


def block(
    placement_block: PlacementBlock,
    short_by: int,
    team_name: str | None,
    ask_again: date | None,
    today: date,
) -> Reply:
    """A block whose offers close soon and that the team has not answered."""
    b = placement_block
    who = team_name or "you"
    buttons = [Button("Offer places", "block.offer", b.ref, style="primary")]
    if ask_again is not None:
        buttons.append(
            Button(
                f"Maybe: ask me on {show(ask_again)}",
                "block.maybe",
                f"{b.ref} ask again {ask_again.isoformat()}",
            )
        )
    buttons += [Button("No capacity this block", "block.none", b.ref), SNOOZE]
    return Reply(
        text=f"Could {who} offer placements for {b.hei.name}'s {b.cohort}? Offers close "
        f"{_in_days(b.offers_close, today)}. “No capacity” is a helpful answer too.",
        facts=(
            Fact("Block", f"{b.ref} · {b.cohort}"),
            Fact("HEI", b.hei.name),
            Fact("Dates", show_range(b.start_date, b.end_date)),
            Fact("Students to place", str(b.students)),
            Fact("Still to place", str(short_by)),
            Fact("Offers close", show(b.offers_close)),
        ),
        buttons=tuple(buttons),
    )


def training(event: TrainingEvent, clock: Clock) -> Reply:
    """Educator training this week for the person's profession: information, with a link."""
    item = training_item(event, clock)
    starts = clock.local(event.starts_at)
    book = " Book with the button below." if event.booking else ""
    return Reply(
        text=f"Educator training coming up: {event.title}, {show(starts.date())} at "
        f"{starts:%H:%M}.{book}",
        facts=item.facts,
        buttons=item.buttons,
    )


def paused(name: str, team: str | None, organisation: str | None) -> Reply:
    """To a faculty lead: someone's nudges are paused, said kindly, with what resumes them."""
    where = ", ".join(part for part in (team, organisation) if part)
    facts = [Fact("Person", name)]
    if team:
        facts.append(Fact("Team", team))
    if organisation:
        facts.append(Fact("Organisation", organisation))
    return Reply(
        text=f"I've paused nudges for {name}{f' ({where})' if where else ''}: the last three "
        "went unanswered and I'd rather not nag. They can turn them back on with `nudges on`; "
        "a friendly word from you may help.",
        facts=tuple(facts),
    )
