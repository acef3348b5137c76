"""The offer line's vocabulary: the compiled clause patterns, the words that are chatter or
filler, and the quick substring checks that spare a pattern's search when its words are absent.
`bot.offers.parsing` reads a line with them; kept apart so that the reading stays one job."""

from __future__ import annotations

import re

from bot.kernel import dates
from bot.kernel.numbers import NUMBER_WORD_PATTERN, NUMBER_WORDS
from bot.kernel.vocabulary import MODEL_WORD_PATTERN, SETTING_WORD_PATTERN
from config.professions import PROFESSIONS

KEYWORDS = r"(?:at|model|supervision|educator|setting|level|block|notes?|capacity)"
ORDINAL_YEAR = r"(?:1st|2nd|3rd|first|second|third)[\s-]+years?"
LEVEL = (
    rf"\b(?P<value>year\s*[123]|yr\s*[123]|y[123]|{ORDINAL_YEAR}"
    r"|msc(?:\s+pre-?reg(?:istration)?)?)\b"
)
BARE_MODEL = rf"(?<![\w:])(?P<value>{MODEL_WORD_PATTERN})(?![\w:])"
UNTIL_NEXT = rf"(?P<value>.+?)(?=\s*(?:,\s*)?\b{KEYWORDS}\b|$)"
STUDENT_NOUNS = ("student", "stud", "pupil", "learner", "place", "slot")  # each also with -s
STUDENT_WORD = "(?:" + "|".join(f"{noun}s?" for noun in STUDENT_NOUNS) + ")"
NUMBER_WORD = re.compile(
    rf"\b(?P<word>{NUMBER_WORD_PATTERN})\b(?=\s*(?:x\s*)?(?:{STUDENT_WORD}|weeks?|wks?)\b)",
    re.IGNORECASE,
)
CAPACITY = re.compile(  # the lookahead skips, cheaply, every place no branch can begin
    r"(?=[cuspl\d])"
    rf"\b(?:capacity\s+(?:of\s+|for\s+)?(?P<a>\d{{1,3}})"
    rf"|(?:up\s+to\s+)?(?P<b>\d{{1,3}})\s*(?:x\s*)?(?:(?P<level>{ORDINAL_YEAR}|year\s*[123])\s+)?"
    rf"{STUDENT_WORD}"
    rf"|{STUDENT_WORD}:?\s+(?P<c>\d{{1,3}}))\b",
    re.IGNORECASE,
)
CHATTER = re.compile(
    r"(?:^|(?<=[\s,]))(?:hi(?:\s+all)?|hello|hiya|please|pls|plz|thanks?(?:\s+you)?|"
    r"thx|cheers|ta|many\s+thanks|if\s+anyone\s+needs\s+it|asap)(?=$|[\s,.!])[.!]*",
    re.IGNORECASE,
)
LEADING_FILLER = {"we", "i", "can", "could", "offer", "offering", "have", "got", "a", "an"}
FILLER_FIRST = frozenset({"we", "i", "can", "could", "offer", "offering", "have", "has", "got"})
FILLER_BEFORE = re.compile(
    r"^\s*(?:(?:we|i)\s+)?(?:can|could)?\s*(?:offer(?:ing)?|have|has\s+got|got)\s+(?:an?\s+)?",
    re.IGNORECASE,
)
LOOKS_NUMBER = re.compile(
    rf"^(?:\d+|{NUMBER_WORD_PATTERN})(?:\s*(?:x|{STUDENT_WORD}|weeks?|wks?|days?))?$"
    rf"|^(?:x|{STUDENT_WORD}|weeks?|wks?)$|^\d+\s*:\s*\d+$",
    re.IGNORECASE,
)
LOOKS_DATE = re.compile(
    rf"{dates.DATE}|\b(?:{dates.RELATIVE}|w/?c|week\s+commencing|from|until|till|for\s+\d+)\b"
    r"|\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*day\b"
    r"|\b(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\s*(?:\d{2,4})?$",
    re.IGNORECASE,
)
NOT_IN_A_PLACE = re.compile(
    r"(?=[\dabcdefjlmnostw@])"
    rf"(?:\b\d+\s*(?:x\b|{STUDENT_WORD}\b|weeks?\b|wks?\b|days?\b|more\b)|\b{dates.DATE}"
    rf"|\b{dates.RELATIVE}\b|\b(?:w/c|for\s+\d+|next\s+week|\d+\s*:\s*\d+)\b"
    r"|\b(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b"
    r"|(?-i:\b(?:setting|level|model|supervision|educator|capacity|block)\b(?:\s+\S+)?\s*$)"
    r"|^(?:at|@)$)",
    re.IGNORECASE,
)
LOOKS_FIELD = re.compile(rf"^(?:{KEYWORDS}|year|yr)\b", re.IGNORECASE)
PROFESSION_WORDS = sorted(
    {word for p in PROFESSIONS for word in (p.code.lower(), *p.aliases) if " " not in word}
)
ORDINALS = {"1st": "1", "first": "1", "2nd": "2", "second": "2", "3rd": "3", "third": "3"}


ANY_WORD = re.compile(r"\w")
PIECES = re.compile(r"[,;]|\s+-\s+")


NUMBER_FIRST_WORDS = frozenset(word.split()[0].split("-")[0] for word in NUMBER_WORDS)
# What a number word must come before to be a count (`NUMBER_WORD`'s lookahead), as words: a
# line with "a" or "an" but none of these has no number word to turn into digits.
COUNTED_WORDS = frozenset(
    [*STUDENT_NOUNS, *(f"{noun}s" for noun in STUDENT_NOUNS), "week", "weeks", "wk", "wks", "x"]
)
CHATTER_WORDS = frozenset(
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


LETTERS = re.compile(r"[a-z]+")


NOTES = re.compile(r"\bnotes?\s*:?\s+(?P<value>.*)$", re.IGNORECASE)
MODEL = re.compile(
    rf"\b(?:model|supervision)\s+(?P<value>\d+:\d+|{MODEL_WORD_PATTERN})(?![\w:])", re.IGNORECASE
)
LEVEL_CLAUSE = re.compile(rf"\blevel\s+{LEVEL}", re.IGNORECASE)
SETTING = re.compile(rf"\bsetting\s+(?P<value>{SETTING_WORD_PATTERN})\b", re.IGNORECASE)
BLOCK = re.compile(r"\b(?:block\s+)?(?P<value>BL-\d{4}-\d{4})\b", re.IGNORECASE)
EDUCATOR = re.compile(rf"\beducator:?\s+{UNTIL_NEXT}", re.IGNORECASE)
PLACE = re.compile(r"(?:\bat|@)\s+(?P<value>[^,\s].*)$", re.IGNORECASE)
BARE = (
    (re.compile(BARE_MODEL, re.I), re.compile(rf"[\s,]+{BARE_MODEL}\s*$", re.I)),
    (re.compile(LEVEL, re.I), re.compile(rf"[\s,]+{LEVEL}\s*$", re.I)),
)
# Cheap tests that a clause may be present, so the usual line skips most patterns (the fast
# path bench/parse.py measures): a pattern runs only when its trigger is in the lowered line.
MAY_HAVE_DATE = re.compile(  # each lookahead below names the letters its pattern can begin with
    r"(?=[\dadfjmnost])(?:\d[/.]\d|\d{4}-|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|day\b|tomorrow)",
    re.IGNORECASE,
)


class Mentions:
    """A quick check before a clause pattern runs: does the lowered text contain any of these
    fragments? Plain substring tests, several times faster than an alternation with
    IGNORECASE; a false yes only costs the pattern's own search."""

    def __init__(self, *fragments: str) -> None:
        self.fragments = fragments

    def search(self, lowered: str) -> bool:
        return any(map(lowered.__contains__, self.fragments))  # no Python frame per fragment


MAY_NOT_BE_PLACE = Mentions(
    *"0123456789",
    *("next", "this", "coming", "tomorrow", "today", "w/c", "day"),
    *("setting", "level", "model", "supervision", "educator", "capacity", "block"),
)  # every alternative of NOT_IN_A_PLACE needs a digit or one of these, or is "at" alone


def may_not_be_a_place(text: str) -> bool:
    lowered = text.lower()
    return lowered in {"at", "@"} or MAY_NOT_BE_PLACE.search(lowered)


MAY_HAVE_STUDENTS = Mentions("stud", "pupil", "learner", "place", "slot", "capacity")
MAY_HAVE_MODEL = Mentions("peer", "virtual", "hybrid", "long", ":")
MAY_HAVE_LEVEL = Mentions(
    "yr", "year", "y1", "y2", "y3", "msc", "1st", "2nd", "3rd", "first", "second", "third"
)
