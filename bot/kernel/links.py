"""Links the core keeps and shows: web pages (http, https) and email addresses (mailto) only.

A booking link travels into calendar feeds, Slack and Teams buttons and emails. A `javascript:`
or `data:` link runs code where it is clicked, and a line break inside one breaks an iCalendar
feed for every subscriber; so every entry point checks links here before storing them, and
every renderer shows only those `is_safe` passes (links stored before this check included).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

MAX_LINK = 500
SCHEMES = ("https", "http", "mailto")
HOW_TO_FIX = (
    "a link starts https:// (or http://), or is an email address such as training@uni.ac.uk"
)
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):")
_EMAIL = re.compile(r"^[^@\s/?#]+@[^@\s/?#]+\.[^@\s/?#]+$")
# Schemes people might paste that are never accepted; words starting with them are link attempts.
_REFUSED_SCHEMES = frozenset(
    {"javascript", "vbscript", "data", "file", "ftp", "blob", "about", "tel", "sms", "ms-word"}
)


def problem(link: str) -> str | None:
    """Why `link` cannot be kept, in words for the person who gave it; None when it can."""
    if len(link) > MAX_LINK:
        return f"it is {len(link):,} characters long; keep it under {MAX_LINK} characters"
    if any(char.isspace() or unicodedata.category(char)[0] in "CZ" for char in link):
        return "it has a space, line break or invisible character in it; give the link alone"
    found = _SCHEME.match(link)
    if found is None or found.group("scheme").lower() not in SCHEMES:
        return f"only web and email links are accepted: {HOW_TO_FIX}"
    parts = urlsplit(link)
    if parts.scheme.lower() == "mailto":
        address = parts.path.split("?")[0]
        return None if _EMAIL.match(address) else "the email address after mailto: is not complete"
    if not parts.hostname or parts.username or parts.password:
        return "a web link needs a site name after https://, e.g. https://events.example.org/book"
    return None


def is_safe(link: str | None) -> bool:
    """Whether a stored `link` may be shown as a link or button."""
    return bool(link) and problem(str(link)) is None


def looks_like_link(word: str) -> bool:
    """Whether a typed word is meant as a link (so that a bad one is refused, not kept as
    words): anything with `://`, or a word starting with a scheme such as mailto: or
    javascript:."""
    found = _SCHEME.match(word)
    if "://" in word:
        return True
    return found is not None and found.group("scheme").lower() in {*SCHEMES, *_REFUSED_SCHEMES}


def booking(text: str) -> tuple[str | None, str | None]:
    """A booking column as (link, note): a link, or an email address as a mailto: link, or
    words kept as a note. Raises ValueError (with what to fix) for a link that is not safe."""
    text = text.strip()
    if not text:
        return None, None
    if _EMAIL.match(text):
        text = f"mailto:{text}"
    elif not looks_like_link(text.split()[0]):
        return None, text
    if (why := problem(text)) is not None:
        raise ValueError(why)
    return text, None
