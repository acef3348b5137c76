"""Long lists a page at a time, never cut silently: "15 of 22", how to narrow them, and a
Show more button (or `... page 2` typed) that fetches the next page of the same command."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.kernel.errors import UserError
from bot.kernel.messages import Button

_PAGE = re.compile(r"(?:^|\s)page\s+(?P<n>\d{1,4})\s*$", re.IGNORECASE)
MORE = "list.more"  # the Show more button's action, declared in bot/chat/actions.py


@dataclass(frozen=True)
class Page:
    number: int  # from 1
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def take_page(rest: str, size: int) -> tuple[str, Page]:
    """`rest` without a trailing "page N", and the page it asks for (the first when none)."""
    found = _PAGE.search(rest)
    if found is None:
        return rest, Page(1, size)
    number = int(found.group("n"))
    if number < 1:
        raise UserError("Pages are numbered from 1.", example="training page 2")
    return rest[: found.start()].strip(), Page(number, size)


def shown(page: Page, on_page: int, total: int) -> str:
    """ "15 of 22", "16–22 of 22", or just "22" when one page holds them all."""
    if total <= page.size and page.number == 1:
        return str(total)
    first = page.offset + 1
    last = page.offset + on_page
    span = str(last) if first == 1 else f"{first}–{last}"
    return f"{span} of {total}"


def has_more(page: Page, on_page: int, total: int) -> bool:
    return page.offset + on_page < total


def more_button(command: str, page: Page) -> Button:
    """Show more: the same command, the next page; its value is what to type for it."""
    return Button("Show more", "list.more", f"{command} page {page.number + 1}".strip())


def past_the_end(command: str, page: Page, total: int) -> str:
    return (
        f"There is no page {page.number}: {total} in all, {page.size} a page. "
        f"Type `{command}` for the first."
    )
