"""`placement list` and `placement mine`: offers a page at a time, saying how many there are
and how to see the rest; a coordinator's `mine` covers their whole provider, team by team."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from bot.chat import paging
from bot.chat.suggest import quoted
from bot.kernel import date_display, dates, professions
from bot.kernel.context import Context
from bot.kernel.errors import UserError
from bot.kernel.messages import Button, Item, Reply
from bot.offers import finding
from bot.offers.views import offer_item
from storage.tables import PlacementOffer

PAGE_SIZE = 20
NO_TEAM = "No team named"


def list_filters(rest: str, today: date) -> finding.OfferFilter:
    words = rest.split()
    profession, words = professions.take_leading(words)
    text = " ".join(words)
    bounds: dict[str, date] = {}
    for word in ("from", "to"):
        match = re.search(rf"\b{word}\s+(?P<date>{dates.DATE})", text, re.IGNORECASE)
        if match:
            bounds[word] = dates.parse_date(match.group("date"), today)
            text = text[: match.start()] + text[match.end() :]
    return finding.OfferFilter(
        profession=profession.code if profession else None,
        starts_from=bounds.get("from"),
        starts_to=bounds.get("to"),
        place=text.strip(" ,") or None,
        limit=PAGE_SIZE,
    )


def _said(filters: finding.OfferFilter) -> str:
    """The filters as understood, to say back: " for Physiotherapy (PT) at “Ward 12”"."""
    said = f" for {professions.profession_name(filters.profession)}" if filters.profession else ""
    if filters.starts_from:
        said += f" ending on or after {date_display.show(filters.starts_from)}"
    if filters.starts_to:
        said += f" starting by {date_display.show(filters.starts_to)}"
    return said + (f" at {quoted(filters.place)}" if filters.place else "")


def _more(
    command: str, page: paging.Page, on_page: int, total: int, narrower: str
) -> tuple[str, tuple[Button, ...]]:
    """What to add when more are left: how to narrow, how to see the next page."""
    if not paging.has_more(page, on_page, total):
        return "", ()
    following = f"{command} page {page.number + 1}"
    return (
        f" Narrow it (`{narrower}`) or see the rest: Show more, or `{following}`.",
        (paging.more_button(command, page),),
    )


async def list_offers(ctx: Context, rest: str) -> Reply:
    rest, page = paging.take_page(" ".join(rest.split()), PAGE_SIZE)
    filters = replace(list_filters(rest, ctx.clock.today()), offset=page.offset)
    found, total = await finding.find_offers(ctx, filters)
    command = f"placement list {rest}".strip()
    heading = "Open placement offers"
    if not found:
        if total:
            return Reply(text=paging.past_the_end(command, page, total), private=True)
        said = _said(filters)
        also = " `placement list` alone shows every open offer." if said else ""
        return Reply(text=f"No open placement offers{said}.{also}", private=True)
    narrower = "placement list PT from 1 Feb 2027 to 28 Feb 2027"
    more, buttons = _more(command, page, len(found), total, narrower)
    return Reply(
        text=f"{heading}, soonest first: {paging.shown(page, len(found), total)}.{more}",
        items=tuple(offer_item(offer, ctx.person) for offer in found),
        buttons=buttons,
        private=True,
    )


def _grouped(offers: list[PlacementOffer], ctx: Context) -> tuple[Item, ...]:
    """Each team's offers under a heading item with the team's name."""
    items: list[Item] = []
    current: str | None = None
    for offer in offers:
        team = offer.team.name if offer.team else NO_TEAM
        if team != current:
            items.append(Item(title=team))
            current = team
        items.append(offer_item(offer, ctx.person))
    return tuple(items)


async def mine(ctx: Context, rest: str) -> Reply:
    rest, page = paging.take_page(" ".join(rest.split()), PAGE_SIZE)
    if rest:
        raise UserError(
            f"`placement mine` takes no filters, and I don't know {quoted(rest)}. "
            "To look for offers, use `placement list`.",
            example="placement list PT from 1 Feb 2027",
        )
    person = ctx.require_person()
    found = await finding.mine(ctx, PAGE_SIZE, page.offset)
    by_team = await finding.count_mine_by_team(ctx)
    total = sum(count for _, count in by_team)
    coordinator = bool(finding.coordinated_providers(person))
    provider = person.organisation.name if person.organisation else "your provider"
    heading = f"{provider}'s open offers, by team" if coordinator else "Your team's offers"
    if not found:
        if total:
            return Reply(text=paging.past_the_end("placement mine", page, total), private=True)
        return Reply(text=f"{heading}: none found.", private=True)
    teams = ", ".join(f"{name or NO_TEAM} {count}" for name, count in by_team)
    counts = f" ({teams})" if coordinator else ""
    more, buttons = _more("placement mine", page, len(found), total, "placement list PT")
    items = (
        _grouped(found, ctx) if coordinator else tuple(offer_item(offer, person) for offer in found)
    )
    return Reply(
        text=f"{heading}: {paging.shown(page, len(found), total)}{counts}.{more}",
        items=items,
        buttons=buttons,
        private=True,
    )
