"""Free text as the core keeps it: one normalisation for everything people and files send in.

Text arrives from chat, forms, platform profiles, API bodies and imported files. Before the
core reads or stores any of it, it is put in Unicode NFC and stripped of characters that change
how text looks without being seen: control characters (a NUL is refused by PostgreSQL, an
escape sequence repaints a terminal), bidirectional overrides (U+202E shows "gnp.exe" as
"exe.png") and zero-width characters (which make two different names look the same). Emoji,
every script and the joiners that build emoji sequences and shape Arabic or Indic writing stay.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

from bot.kernel.messages import Actor, Command

ZWNJ, ZWJ = "\u200c", "\u200d"
_KEEP_IN_LINES = frozenset("\n\t")
_LINE_BREAKS = {"\r\n": "\n", "\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"}
# Scripts whose spelling uses the zero-width joiners (Persian ZWNJ, Indic conjuncts).
_JOINING_SCRIPTS = (
    "ARABIC", "SYRIAC", "DEVANAGARI", "BENGALI", "GURMUKHI", "GUJARATI", "ORIYA", "TAMIL",
    "TELUGU", "KANNADA", "MALAYALAM", "SINHALA",
)  # fmt: skip
_EMOJI_MODIFIERS = range(0x1F3FB, 0x1F400)  # skin tones
_TAGS = range(0xE0020, 0xE0080)  # subdivision flags: England, Scotland, Wales
_BLACK_FLAG = "\U0001f3f4"
# Terminal escape sequences whole (colour, cursor, window title), not just their ESC.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC: window titles, links
    r"|\x1b[@-Z\\-_]?"  # any other escape
)


def clean(text: str, *, lines: bool = False) -> str:
    """`text` in NFC without invisible controls. With `lines`, newlines and tabs stay (notes);
    without, any line break or tab becomes a space (names, places, one-line fields)."""
    if not text or (text.isascii() and text.isprintable()):
        return text  # most text: plain ASCII, nothing to remove
    text = _ESCAPES.sub("", unicodedata.normalize("NFC", text))
    for old, new in _LINE_BREAKS.items():
        text = text.replace(old, new)
    kept: list[str] = []
    for at, char in enumerate(text):
        if char in _KEEP_IN_LINES:
            kept.append(char if lines else " ")
        elif _visible(text, at, char):
            kept.append(char)
    return "".join(kept)


def _visible(text: str, at: int, char: str) -> bool:
    """Whether `char` at `at` stays: not a control, surrogate or invisible format character,
    unless it joins an emoji sequence or letters of a script that needs it."""
    category = unicodedata.category(char)
    if category in ("Cc", "Cs"):
        return False
    if category != "Cf":
        return True
    before = text[at - 1] if at > 0 else ""
    after = text[at + 1] if at + 1 < len(text) else ""
    if char == ZWJ and _emoji_end(before) and _is_emoji(after):
        return True
    if char in (ZWJ, ZWNJ) and _joining(before) and _joining(after):
        return True
    return ord(char) in _TAGS and _in_flag(text, at)


def _is_emoji(char: str) -> bool:
    return bool(char) and unicodedata.category(char) == "So"


def _emoji_end(char: str) -> bool:
    """The end of an emoji: the picture itself, a skin tone or the emoji presentation mark."""
    return _is_emoji(char) or char == "\ufe0f" or (bool(char) and ord(char) in _EMOJI_MODIFIERS)


def _joining(char: str) -> bool:
    return bool(char) and unicodedata.name(char, "").startswith(_JOINING_SCRIPTS)


def _in_flag(text: str, at: int) -> bool:
    """A tag character in a flag sequence (black flag, tags, cancel tag)."""
    start = at
    while start > 0 and ord(text[start - 1]) in _TAGS:
        start -= 1
    return start > 0 and text[start - 1] == _BLACK_FLAG


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, never ending inside an emoji sequence."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    while cut and (cut[-1] in (ZWJ, "\ufe0f") or ord(cut[-1]) in _TAGS):
        cut = cut[:-1]
    return cut


def clean_actor(actor: Actor) -> Actor:
    """Names, emails and ids from a platform, cleaned like anything typed."""
    return replace(
        actor,
        platform=clean(actor.platform),
        external_id=clean(actor.external_id),
        tenant=clean(actor.tenant),
        display_name=" ".join(clean(actor.display_name).split()),
        email=None if actor.email is None else "".join(clean(actor.email).split()),
        aliases=tuple(" ".join(clean(alias).split()) for alias in actor.aliases),
    )


def clean_command(command: Command, multi_line_fields: Collection[str] = ()) -> Command:
    """A command with its words, button value, form values and speaker cleaned; the form
    fields named in `multi_line_fields` keep their line breaks."""
    return replace(
        command,
        actor=clean_actor(command.actor),
        text=clean(command.text, lines=True),
        action=None if command.action is None else clean(command.action),
        value=clean(command.value),
        form_id=None if command.form_id is None else clean(command.form_id),
        form_values={
            clean(name): clean(value, lines=name in multi_line_fields)
            for name, value in command.form_values.items()
        },
        delivery_key=None if command.delivery_key is None else clean(command.delivery_key),
    )


def clean_json(value: Any, multi_line_keys: Collection[str] = ()) -> Any:
    """A parsed JSON body with every string cleaned (keys too); strings under the keys named
    in `multi_line_keys` keep their line breaks."""
    return _clean_json(value, frozenset(multi_line_keys), lines=False)


def _clean_json(value: Any, multi: frozenset[str], lines: bool) -> Any:
    if isinstance(value, str):
        return clean(value, lines=lines)
    if isinstance(value, Mapping):
        return {
            clean(str(key)): _clean_json(item, multi, lines=str(key) in multi)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_clean_json(item, multi, lines) for item in value]
    return value
