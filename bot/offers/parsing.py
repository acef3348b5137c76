"""Read a one-line offer ("physio 1 Feb - 12 Mar 2027, 2 students, Stroke Rehab, City Hospital").

The grammar: PROFESSION, then clauses in any order: DATES, STUDENTS, `model` MODEL, `level`
LEVEL, `setting` SETTING, `educator` NAME, BLOCK, `at` PLACE, `notes` TEXT (last), with commas,
chatter ("hi", "thanks") and filler ("we can offer") allowed around them. Each clause is a
compiled pattern cut from the line, so every word is accounted for: what is left is the place
when no `at` was given, unless it looks like a number, a date or a field, which is refused with
the fragment quoted. Nothing is guessed silently: what was assumed (the year, a relative date)
is returned beside the draft, so the chat can show the reading before it is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.kernel import dates, professions
from bot.kernel.errors import UserError
from bot.kernel.numbers import NUMBER_WORD_PATTERN, NUMBER_WORDS
from bot.kernel.quoting import closest, quoted
from bot.kernel.vocabulary import (
    MODEL_WORD_PATTERN,
    SETTING_WORD_PATTERN,
    level_code,
    model_code,
    setting_code,
)
from config.professions import PROFESSIONS

OFFER_EXAMPLE = "placement offer physio 1 Feb - 12 Mar 2027, 2 students at Ward 12, City Hospital"
DATES_EXAMPLE = "placement offer physio from 1 Feb 2027 for 6 weeks, 2 students at Ward 12"
MODEL_EXAMPLE = "placement offer PT 1 Feb - 12 Mar 2027 2 students at Ward 12 model 2:1"

_KEYWORDS = r"(?:at|model|supervision|educator|setting|level|block|notes?|capacity)"
_ORDINAL_YEAR = r"(?:1st|2nd|3rd|first|second|third)[\s-]+years?"
_LEVEL = (
    rf"\b(?P<value>year\s*[123]|yr\s*[123]|y[123]|{_ORDINAL_YEAR}"
    r"|msc(?:\s+pre-?reg(?:istration)?)?)\b"
)
_BARE_MODEL = rf"(?<![\w:])(?P<value>{MODEL_WORD_PATTERN})(?![\w:])"
_UNTIL_NEXT = rf"(?P<value>.+?)(?=\s*(?:,\s*)?\b{_KEYWORDS}\b|$)"
_STUDENT_WORD = r"(?:students?|studs?|pupils?|learners?|places?|slots?)"
_NUMBER_WORD = re.compile(
    rf"\b(?P<word>{NUMBER_WORD_PATTERN})\b(?=\s*(?:x\s*)?(?:{_STUDENT_WORD}|weeks?|wks?)\b)",
    re.IGNORECASE,
)
_CAPACITY = re.compile(
    rf"\b(?:capacity\s+(?:of\s+|for\s+)?(?P<a>\d{{1,3}})"
    rf"|(?:up\s+to\s+)?(?P<b>\d{{1,3}})\s*(?:x\s*)?(?:(?P<level>{_ORDINAL_YEAR}|year\s*[123])\s+)?"
    rf"{_STUDENT_WORD}"
    rf"|{_STUDENT_WORD}:?\s+(?P<c>\d{{1,3}}))\b",
    re.IGNORECASE,
)
_CHATTER = re.compile(
    r"(?:^|(?<=[\s,]))(?:hi(?:\s+all)?|hello|hiya|please|pls|plz|thanks?(?:\s+you)?|"
    r"thx|cheers|ta|many\s+thanks|if\s+anyone\s+needs\s+it|asap)(?=$|[\s,.!])[.!]*",
    re.IGNORECASE,
)
_LEADING_FILLER = {"we", "i", "can", "could", "offer", "offering", "have", "got", "a", "an"}
_FILLER_FIRST = frozenset({"we", "i", "can", "could", "offer", "offering", "have", "has", "got"})
_FILLER_BEFORE = re.compile(
    r"^\s*(?:(?:we|i)\s+)?(?:can|could)?\s*(?:offer(?:ing)?|have|has\s+got|got)\s+(?:an?\s+)?",
    re.IGNORECASE,
)
_LOOKS_NUMBER = re.compile(
    rf"^(?:\d+|{NUMBER_WORD_PATTERN})(?:\s*(?:x|{_STUDENT_WORD}|weeks?|wks?|days?))?$"
    rf"|^(?:x|{_STUDENT_WORD}|weeks?|wks?)$|^\d+\s*:\s*\d+$",
    re.IGNORECASE,
)
_LOOKS_DATE = re.compile(
    rf"{dates.DATE}|\b(?:{dates.RELATIVE}|w/?c|week\s+commencing|from|until|till|for\s+\d+)\b"
    r"|\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*day\b"
    r"|\b(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\s*(?:\d{2,4})?$",
    re.IGNORECASE,
)
_NOT_IN_A_PLACE = re.compile(
    rf"\b\d+\s*(?:x\b|{_STUDENT_WORD}\b|weeks?\b|wks?\b|days?\b|more\b)|\b{dates.DATE}"
    rf"|\b{dates.RELATIVE}\b|\b(?:w/c|for\s+\d+|next\s+week|\d+\s*:\s*\d+)\b"
    r"|\b(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b"
    r"|(?-i:\b(?:setting|level|model|supervision|educator|capacity|block)\b(?:\s+\S+)?\s*$)"
    r"|^(?:at|@)$",
    re.IGNORECASE,
)
_LOOKS_FIELD = re.compile(rf"^(?:{_KEYWORDS}|year|yr)\b", re.IGNORECASE)
_PROFESSION_WORDS = sorted(
    {word for p in PROFESSIONS for word in (p.code.lower(), *p.aliases) if " " not in word}
)
_ORDINALS = {"1st": "1", "first": "1", "2nd": "2", "second": "2", "3rd": "3", "third": "3"}


@dataclass(frozen=True)
class OfferDraft:
    """An offer as typed, before the rules are checked. Empty means "not given"."""

    profession: str = ""
    start: date | None = None
    end: date | None = None
    capacity: int | None = None
    place: str = ""
    supervision_model: str | None = None
    student_level: str | None = None
    setting: str | None = None
    educator: str = ""
    block_ref: str = ""
    notes: str = ""


@dataclass(frozen=True)
class OfferReading:
    """A draft and what was assumed to read it: "year" (none typed), "relative" (a weekday
    or "tomorrow" resolved in Europe/London). Empty `guessed` means the line was exact."""

    draft: OfferDraft
    guessed: tuple[str, ...] = ()


_ANY_WORD = re.compile(r"\w")
_PIECES = re.compile(r"[,;]|\s+-\s+")


def _search(pattern: str | re.Pattern[str], text: str) -> re.Match[str] | None:
    if isinstance(pattern, re.Pattern):
        return pattern.search(text)
    return re.search(pattern, text, re.IGNORECASE)


class _Line:
    """The remaining text of a line, from which clauses are cut one by one."""

    def __init__(self, text: str) -> None:
        self.text = text

    def cut(self, pattern: str | re.Pattern[str]) -> re.Match[str] | None:
        match = _search(pattern, self.text)
        if match:
            self.text = f"{self.text[: match.start()]} , {self.text[match.end() :]}"
        return match

    def leftovers(self) -> list[str]:
        if not _ANY_WORD.search(self.text):
            return []  # the usual end: every clause was cut
        pieces = (piece.strip(" ,;.:-–!?") for piece in _PIECES.split(self.text))
        return [" ".join(piece.split()) for piece in pieces if piece]


def _unknown_profession(words: list[str]) -> UserError:
    first = words[0] if words else ""
    meant = closest(first.strip(",").lower(), _PROFESSION_WORDS) if first else None
    hint = f" Did you mean “{meant}”?" if meant else ""
    return UserError(
        f"Start the offer with the profession: {quoted(first)} is not one I know.{hint} "
        f"Use a code or a name: {professions.CODES_HINT}.",
        example=OFFER_EXAMPLE,
        field="profession",
    )


def _take_profession(text: str) -> tuple[professions.Profession, str]:
    """The profession and the rest, past any greeting or "we can offer" before it."""
    first = text.split(maxsplit=1)[0].lower().strip(",!.") if text else ""
    if first in _CHATTER_WORDS or first in _FILLER_FIRST:
        text = _FILLER_BEFORE.sub("", _CHATTER.sub(" ", text, count=1).strip(" ,"), count=1)
    words = text.split()
    profession, rest = professions.take_leading(words)
    if profession is None and words and words[0].lower().rstrip(",") in _LEADING_FILLER:
        profession, rest = professions.take_leading(words[1:])
    if profession is None:
        raise _unknown_profession(words)
    if rest and rest[0].lower() in {"placement", "placements"}:
        rest = rest[1:]
    return profession, " ".join(rest)


_NUMBER_FIRST_WORDS = frozenset(word.split()[0].split("-")[0] for word in NUMBER_WORDS)
_CHATTER_WORDS = frozenset(
    [
        "hi",
        "hello",
        "hiya",
        "please",
        "pls",
        "plz",
        "thanks",
        "thank",
        "thx",
        "cheers",
        "ta",
        "many",
        "if",
        "asap",
    ]
)


_LETTERS = re.compile(r"[a-z]+")


def _words(text: str) -> set[str]:
    return set(_LETTERS.findall(text.lower()))


def _digits(text: str, words: set[str]) -> str:
    """Number words before a count ("two students", "six weeks") as digits; `words` are the
    text's (`_words`), read once for this and `_without_chatter`."""
    if words.isdisjoint(_NUMBER_FIRST_WORDS):
        return text
    return _NUMBER_WORD.sub(lambda m: str(NUMBER_WORDS[" ".join(m["word"].lower().split())]), text)


def _without_chatter(text: str, words: set[str]) -> str:
    if words.isdisjoint(_CHATTER_WORDS):
        return text
    return _CHATTER.sub(" , ", text)


def _lone_start_error(text: str) -> UserError:
    lone = dates.find_single(text)
    if lone:
        return UserError(
            f"I found the start {quoted(lone)} but no end. Add the end or how long it runs, "
            f"e.g. “{lone} - 12 Mar 2027” or “{lone} for 6 weeks”.",
            example=DATES_EXAMPLE,
            field="end",
        )
    return UserError(
        "The dates are missing. Give both, e.g. “1 Feb - 12 Mar 2027”, “from 1 Feb for 6 weeks” "
        "or “w/c 1 Feb for 4 weeks”.",
        example=DATES_EXAMPLE,
        field="start",
    )


def _read_level(text: str) -> str | None:
    words = text.lower().split()
    if words and words[0] in _ORDINALS:
        return level_code(_ORDINALS[words[0]])
    return level_code(text)


def _refuse_leftover(piece: str, place_given: bool) -> None:
    """A leftover that is not a place name: name what it looks like and how to write it."""
    if piece.lower() in {"at", "@"}:
        raise UserError(
            "“at” needs the place after it, e.g. “at Ward 12, City Hospital”.",
            example=OFFER_EXAMPLE,
            field="place",
        )
    if _LOOKS_NUMBER.search(piece):
        raise UserError(
            f"I could not read {quoted(piece)}: it looks like a number, but not of students "
            "or weeks. Write “2 students” or “for 6 weeks”.",
            example=OFFER_EXAMPLE,
        )
    if _LOOKS_DATE.search(piece):
        raise UserError(
            f"I could not read {quoted(piece)} as part of the dates. Give the dates once, as "
            "“1 Feb - 12 Mar 2027”, “from 1 Feb for 6 weeks” or “w/c 1 Feb for 4 weeks”.",
            example=DATES_EXAMPLE,
        )
    if _LOOKS_FIELD.search(piece):
        raise UserError(
            f"I could not read {quoted(piece)}: write a field as “model 2:1”, “level year 2”, "
            "“setting community”, “educator Band 6 OT” or “at Ward 12”.",
            example=MODEL_EXAMPLE,
        )
    if place_given:
        raise UserError(
            f"I could not tell what {quoted(piece)} means in this offer: the place is what "
            "follows “at”. Put notes last, after “notes”.",
            example=OFFER_EXAMPLE,
        )


def _once(line: _Line, pattern: str | re.Pattern[str], what: str, example: str) -> None:
    """A clause given twice contradicts itself: refuse the second rather than pick one."""
    again = _search(pattern, line.text)
    if again:
        raise UserError(
            f"The offer gives {what} twice; I found another in {quoted(again.group(0))}. "
            "Give it once.",
            example=example,
        )


_NOTES = re.compile(r"\bnotes?\s*:?\s+(?P<value>.*)$", re.IGNORECASE)
_MODEL = re.compile(
    rf"\b(?:model|supervision)\s+(?P<value>\d+:\d+|{MODEL_WORD_PATTERN})(?![\w:])", re.IGNORECASE
)
_LEVEL_CLAUSE = re.compile(rf"\blevel\s+{_LEVEL}", re.IGNORECASE)
_SETTING = re.compile(rf"\bsetting\s+(?P<value>{SETTING_WORD_PATTERN})\b", re.IGNORECASE)
_BLOCK = re.compile(r"\b(?:block\s+)?(?P<value>BL-\d{4}-\d{4})\b", re.IGNORECASE)
_EDUCATOR = re.compile(rf"\beducator:?\s+{_UNTIL_NEXT}", re.IGNORECASE)
_PLACE = re.compile(r"(?:\bat|@)\s+(?P<value>[^,\s].*)$", re.IGNORECASE)
_BARE = (
    (re.compile(_BARE_MODEL, re.I), re.compile(rf"[\s,]+{_BARE_MODEL}\s*$", re.I)),
    (re.compile(_LEVEL, re.I), re.compile(rf"[\s,]+{_LEVEL}\s*$", re.I)),
)
# Cheap tests that a clause may be present, so the usual line skips most patterns (the fast
# path bench/parse.py measures): a pattern runs only when its trigger is in the lowered line.
_MAY_HAVE_DATE = re.compile(
    r"\d[/.]\d|\d{4}-|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|day\b|tomorrow",
    re.IGNORECASE,
)


class _Mentions:
    """A quick check before a clause pattern runs: does the lowered text contain any of these
    fragments? Plain substring tests, several times faster than an alternation with
    IGNORECASE; a false yes only costs the pattern's own search."""

    def __init__(self, *fragments: str) -> None:
        self.fragments = fragments

    def search(self, lowered: str) -> bool:
        return any(fragment in lowered for fragment in self.fragments)


_MAY_NOT_BE_PLACE = _Mentions(
    *"0123456789",
    *("next", "this", "coming", "tomorrow", "today", "w/c", "day"),
    *("setting", "level", "model", "supervision", "educator", "capacity", "block"),
)  # every alternative of _NOT_IN_A_PLACE needs a digit or one of these, or is "at" alone


def _may_not_be_a_place(text: str) -> bool:
    lowered = text.lower()
    return lowered in {"at", "@"} or _MAY_NOT_BE_PLACE.search(lowered)


_MAY_HAVE_STUDENTS = _Mentions("stud", "pupil", "learner", "place", "slot", "capacity")
_MAY_HAVE_MODEL = _Mentions("peer", "virtual", "hybrid", "long", ":")
_MAY_HAVE_LEVEL = _Mentions(
    "yr", "year", "y1", "y2", "y3", "msc", "1st", "2nd", "3rd", "first", "second", "third"
)


def _model(found: re.Match[str]) -> str:
    code = model_code(found.group("value"))
    if code is None:
        raise UserError(
            f"{quoted(found.group('value'))} is not a supervision model I know. "
            "Use 1:1, 2:1, 3:1, long-arm, peer or virtual.",
            example=MODEL_EXAMPLE,
            field="supervision_model",
        )
    return code


def read_offer_line(text: str, today: date) -> OfferReading:
    """The draft a line gives, and what was guessed to read it; UserError when any word
    cannot be accounted for."""
    profession, rest = _take_profession(" ".join(text.split()))
    words = _words(rest)  # number words become digits, never chatter: one reading serves both
    line = _Line(_without_chatter(_digits(rest, words), words))
    fields: dict[str, object] = {"profession": profession.code}
    lowered = line.text.lower()

    if "note" in lowered and (notes := line.cut(_NOTES)):
        fields["notes"] = notes.group("value").strip()

    date_range, line.text = dates.find_range(line.text, today, gap=" , ")
    if date_range is None:
        raise _lone_start_error(line.text)
    if _MAY_HAVE_DATE.search(line.text):
        _once(line, dates.RANGE, "the dates", DATES_EXAMPLE)
    fields["start"], fields["end"] = date_range.start, date_range.end

    if capacity := line.cut(_CAPACITY):
        number = capacity.group("a") or capacity.group("b") or capacity.group("c")
        fields["capacity"] = int(number)
        if capacity.group("level"):  # "2 third year students"
            fields["student_level"] = _read_level(capacity.group("level"))
        if _MAY_HAVE_STUDENTS.search(line.text.lower()):
            _once(line, _CAPACITY, "the number of students", OFFER_EXAMPLE)

    if ("model" in lowered or "supervision" in lowered) and (model := line.cut(_MODEL)):
        fields["supervision_model"] = _model(model)
    if "level" in lowered and (level := line.cut(_LEVEL_CLAUSE)):
        fields["student_level"] = _read_level(level.group("value"))
    if "setting" in lowered and (setting := line.cut(_SETTING)):
        fields["setting"] = setting_code(setting.group("value"))
    if "bl-" in lowered and (block := line.cut(_BLOCK)):
        fields["block_ref"] = block.group("value").upper()
    if "educator" in lowered and (educator := line.cut(_EDUCATOR)):
        fields["educator"] = educator.group("value").strip(" ,")

    place = line.cut(_PLACE) if ("at" in lowered or "@" in lowered) else None
    place_text = place.group("value").strip(" ,") if place else ""
    # Bare words ("peer", "year 2") count outside the place or at its very end, so that
    # "at Peer Support Team" keeps its name and "at Ward 12 peer" still gives the model.
    for (anywhere, at_end), name, read, may in (
        (_BARE[0], "supervision_model", model_code, _MAY_HAVE_MODEL),
        (_BARE[1], "student_level", _read_level, _MAY_HAVE_LEVEL),
    ):
        if name in fields or not may.search(lowered):
            continue
        found = line.cut(anywhere)
        if found is None and place_text:
            found = at_end.search(place_text)
            place_text = place_text[: found.start()] if found else place_text
        if found:
            fields[name] = read(found.group("value"))
    leftovers = line.leftovers()
    if place_text.lower() in {"at", "@"}:
        _refuse_leftover(place_text, place_given=True)
    if place and _may_not_be_a_place(place_text) and (odd := _NOT_IN_A_PLACE.search(place_text)):
        raise UserError(
            f"I could not read {quoted(odd.group(0))} in the place {quoted(place_text)}: it looks "
            "like dates, students or a field, not a place. Give those before “at”, the place "
            "after it, and anything else last, after “notes”.",
            example=OFFER_EXAMPLE,
        )
    for piece in leftovers:
        _refuse_leftover(piece, place is not None)
    fields["place"] = (place_text if place else ", ".join(leftovers)).strip(" ,.")
    return OfferReading(OfferDraft(**fields), date_range.guessed)  # type: ignore[arg-type]


def parse_offer_line(text: str, today: date) -> OfferDraft:
    return read_offer_line(text, today).draft
