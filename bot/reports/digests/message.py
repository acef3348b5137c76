"""The digest as a Reply: the headline counts, the latest changed offers, the requests waiting
and the blocks short of places, each list cut short with a pointer to the full register."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

from bot.kernel.clock import Clock
from bot.kernel.date_display import show, show_range
from bot.kernel.messages import Button, Fact, Item, Reply
from bot.reports import links
from bot.reports.chart import plural
from bot.reports.digests.queries import Digest, OfferChange
from config.settings import Settings
from storage import lifecycle

MAX_OTHERS_SHOWN = 5
HOW_TO_CHANGE = Item(
    title="To change or stop this digest",
    text="Type `digest daily`, `digest weekly` or `digest off` to PlaceBot; `digest email` or "
    "`digest chat` says where it comes.",
)


# Many offers share dates; formatting them is most of the time it takes to render 500 digests.
_dates = lru_cache(maxsize=4096)(show_range)


def _offer_item(offer: OfferChange, since: datetime) -> Item:
    requestable = offer.status in lifecycle.LIVE
    return Item(
        title=f"{offer.ref} · {offer.profession} · {offer.place}",
        text=offer.kind(since),
        facts=(
            Fact("Dates", _dates(offer.start, offer.end)),
            Fact("Students", str(offer.capacity)),
            Fact("Status", offer.status),
        ),
        buttons=(Button("Request places", "offer.request", offer.ref),) if requestable else (),
    )


def _more(shown: int, total: int, what: str) -> Iterable[Item]:
    if total > shown:
        yield Item(title=f"and {total - shown} more {what}: all of them in “Changes as CSV”")


def digest_reply(digest: Digest, clock: Clock, settings: Settings) -> Reply:
    lead, since = digest.lead, digest.lead.since
    codes = ", ".join(lead.professions) if len(lead.professions) < 6 else "your professions"
    changed = plural(digest.changes, "offer") if digest.changes else "No offers"
    headline = f"{changed} changed for {codes} since {show(clock.local(since).date())}."
    items: list[Item] = [_offer_item(offer, since) for offer in digest.offers]
    items.extend(_more(len(digest.offers), digest.changes, "changed offers"))
    for request in digest.requests[:MAX_OTHERS_SHOWN]:
        items.append(
            Item(
                title=f"Request on {request.ref} · {request.profession}",
                text="held until release" if request.status == "held" else "with the provider",
                facts=(
                    Fact("Dates", show_range(request.start, request.end)),
                    Fact("Students", str(request.students)),
                ),
            )
        )
    items.extend(
        _more(min(len(digest.requests), MAX_OTHERS_SHOWN), len(digest.requests), "requests")
    )
    for block in digest.blocks[:MAX_OTHERS_SHOWN]:
        items.append(
            Item(
                title=f"{block.ref} · {block.profession} · {block.cohort}",
                text=f"short by {block.short_by}",
                facts=(
                    Fact("Dates", show_range(block.start, block.end)),
                    Fact("Offered so far", f"{block.places} of {block.students}"),
                    Fact("Offers close", show(block.offers_close)),
                    *(
                        (Fact("Teams' answers", digest.answers[block.block_id].words()),)
                        if block.block_id in digest.answers
                        else ()
                    ),
                ),
            )
        )
    items.extend(_more(min(len(digest.blocks), MAX_OTHERS_SHOWN), len(digest.blocks), "blocks"))
    items.append(HOW_TO_CHANGE)
    changes = links.CsvLink(lead.person_id, lead.professions, changed_since=since)
    return Reply(
        text=f"Placement digest for {lead.hei_name}. {headline}",
        facts=(
            Fact("New offers", str(digest.new)),
            Fact("Changed", str(digest.changed)),
            Fact("Withdrawn", str(digest.withdrawn)),
            Fact("Requests waiting", str(len(digest.requests))),
            Fact("Blocks short of places", str(len(digest.blocks))),
        ),
        items=tuple(items),
        buttons=(
            Button("Changes as CSV", "link", url=links.csv_link(settings, clock, changes)),
            Button(
                "Open the report", "link", url=links.report_link(settings, clock, lead.person_id)
            ),
        ),
    )
