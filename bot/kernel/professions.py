"""Find a profession from what people type (its code or any alias, in any case), and name it."""

from __future__ import annotations

from bot.kernel.errors import UserError
from bot.kernel.quoting import quoted
from config.professions import BY_CODE, PROFESSION_CODES, PROFESSIONS, Profession

_LOOKUP: dict[str, Profession] = {}
for _p in PROFESSIONS:
    _LOOKUP[_p.code.lower()] = _p
    _LOOKUP[_p.name.lower()] = _p
    for _alias in _p.aliases:
        _LOOKUP[_alias] = _p
_LONGEST_ALIAS_WORDS = max(len(key.split()) for key in _LOOKUP)

CODES_HINT = ", ".join(PROFESSION_CODES)

# Every spelling a machine client may send (the register API takes exactly these, as its
# OpenAPI document's enum lists them): each code in capitals and small letters, each name as
# written and in small letters, and the aliases people type.
SPELLINGS: dict[str, Profession] = {}
for _p in PROFESSIONS:
    for _spelling in (_p.code, _p.code.lower(), _p.name, _p.name.lower(), *_p.aliases):
        SPELLINGS.setdefault(_spelling, _p)


_STARTS_LONGER = frozenset(key.split()[0] for key in _LOOKUP if " " in key)


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def find(text: str) -> Profession | None:
    return _LOOKUP.get(_normalise(text))


def spelled(text: str) -> Profession | None:
    """The profession `text` spells exactly as one of `SPELLINGS`, or None."""
    return SPELLINGS.get(text)


def resolve_spelled(text: str) -> Profession:
    """As `resolve`, for machine clients: exactly one of `SPELLINGS`, or a UserError."""
    profession = spelled(text)
    if profession is None:
        shown = text.strip()[:40] or "(nothing)"
        raise UserError(
            f"I don't know the profession “{shown}”. Use a code ({CODES_HINT}) or a name "
            "such as physio; the API's OpenAPI document lists every spelling.",
            field="profession",
        )
    return profession


def resolve(text: str) -> Profession:
    """The profession named by `text`, or a UserError listing the codes."""
    profession = find(text)
    if profession is None:
        shown = quoted(text) if text.strip() else "“(nothing)”"
        raise UserError(
            f"I don't know the profession {shown}. Use a code or a name: {CODES_HINT}.",
            field="profession",
        )
    return profession


def take_leading(words: list[str]) -> tuple[Profession | None, list[str]]:
    """Split off the longest run of leading words that names a profession."""
    if words and (first := words[0].lower().rstrip(",")) not in _STARTS_LONGER:
        profession = _LOOKUP.get(first)  # the usual case: a code or a one-word name
        return (profession, words[1:]) if profession else (None, words)
    for size in range(min(_LONGEST_ALIAS_WORDS, len(words)), 0, -1):
        profession = find(" ".join(words[:size]).rstrip(","))
        if profession is not None:
            return profession, words[size:]
    return None, words


def join_codes(codes: list[str] | tuple[str, ...]) -> str:
    """Stored form of a set of codes: ",PT,OT," so that `LIKE '%,PT,%'` finds one."""
    return f",{','.join(codes)}," if codes else ""


def split_codes(stored: str) -> list[str]:
    return [code for code in stored.split(",") if code]


def profession_name(code: str) -> str:
    profession = BY_CODE.get(code)
    return f"{profession.name} ({code})" if profession else code
