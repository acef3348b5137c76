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
from bot.kernel.numbers import NUMBER_WORDS
from bot.kernel.quoting import closest, quoted
from bot.kernel.vocabulary import (
    level_code,
    model_code,
    setting_code,
)
from bot.offers import line_words as vocab

OFFER_EXAMPLE = "placement offer physio 1 Feb - 12 Mar 2027, 2 students at Ward 12, City Hospital"
DATES_EXAMPLE = "placement offer physio from 1 Feb 2027 for 6 weeks, 2 students at Ward 12"
MODEL_EXAMPLE = "placement offer PT 1 Feb - 12 Mar 2027 2 students at Ward 12 model 2:1"


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
        if not vocab.ANY_WORD.search(self.text):
            return []  # the usual end: every clause was cut
        pieces = (piece.strip(" ,;.:-–!?") for piece in vocab.PIECES.split(self.text))
        return [" ".join(piece.split()) for piece in pieces if piece]


def _unknown_profession(words: list[str]) -> UserError:
    first = words[0] if words else ""
    meant = closest(first.strip(",").lower(), vocab.PROFESSION_WORDS) if first else None
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
    if first in vocab.CHATTER_WORDS or first in vocab.FILLER_FIRST:
        text = vocab.FILLER_BEFORE.sub(
            "", vocab.CHATTER.sub(" ", text, count=1).strip(" ,"), count=1
        )
    words = text.split()
    profession, rest = professions.take_leading(words)
    if profession is None and words and words[0].lower().rstrip(",") in vocab.LEADING_FILLER:
        profession, rest = professions.take_leading(words[1:])
    if profession is None:
        raise _unknown_profession(words)
    if rest and rest[0].lower() in {"placement", "placements"}:
        rest = rest[1:]
    return profession, " ".join(rest)


def _words(text: str) -> set[str]:
    return set(vocab.LETTERS.findall(text.lower()))


def _digits(text: str, words: set[str]) -> str:
    """Number words before a count ("two students", "six weeks") as digits; `words` are the
    text's (`_words`), read once for this and `_without_chatter`."""
    if words.isdisjoint(vocab.NUMBER_FIRST_WORDS) or words.isdisjoint(vocab.COUNTED_WORDS):
        return text
    return vocab.NUMBER_WORD.sub(
        lambda m: str(NUMBER_WORDS[" ".join(m["word"].lower().split())]), text
    )


def _without_chatter(text: str, words: set[str]) -> str:
    if words.isdisjoint(vocab.CHATTER_WORDS):
        return text
    return vocab.CHATTER.sub(" , ", text)


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
    if words and words[0] in vocab.ORDINALS:
        return level_code(vocab.ORDINALS[words[0]])
    return level_code(text)


def _refuse_leftover(piece: str, place_given: bool) -> None:
    """A leftover that is not a place name: name what it looks like and how to write it."""
    if piece.lower() in {"at", "@"}:
        raise UserError(
            "“at” needs the place after it, e.g. “at Ward 12, City Hospital”.",
            example=OFFER_EXAMPLE,
            field="place",
        )
    if vocab.LOOKS_NUMBER.search(piece):
        raise UserError(
            f"I could not read {quoted(piece)}: it looks like a number, but not of students "
            "or weeks. Write “2 students” or “for 6 weeks”.",
            example=OFFER_EXAMPLE,
        )
    if vocab.LOOKS_DATE.search(piece):
        raise UserError(
            f"I could not read {quoted(piece)} as part of the dates. Give the dates once, as "
            "“1 Feb - 12 Mar 2027”, “from 1 Feb for 6 weeks” or “w/c 1 Feb for 4 weeks”.",
            example=DATES_EXAMPLE,
        )
    if vocab.LOOKS_FIELD.search(piece):
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

    if "note" in lowered and (notes := line.cut(vocab.NOTES)):
        fields["notes"] = notes.group("value").strip()

    date_range, line.text = dates.find_range(line.text, today, gap=" , ")
    if date_range is None:
        raise _lone_start_error(line.text)
    if vocab.MAY_HAVE_DATE.search(line.text):
        _once(line, dates.RANGE, "the dates", DATES_EXAMPLE)
    fields["start"], fields["end"] = date_range.start, date_range.end

    if capacity := line.cut(vocab.CAPACITY):
        number = capacity.group("a") or capacity.group("b") or capacity.group("c")
        fields["capacity"] = int(number)
        if capacity.group("level"):  # "2 third year students"
            fields["student_level"] = _read_level(capacity.group("level"))
        if vocab.MAY_HAVE_STUDENTS.search(line.text.lower()):
            _once(line, vocab.CAPACITY, "the number of students", OFFER_EXAMPLE)

    if ("model" in lowered or "supervision" in lowered) and (model := line.cut(vocab.MODEL)):
        fields["supervision_model"] = _model(model)
    if "level" in lowered and (level := line.cut(vocab.LEVEL_CLAUSE)):
        fields["student_level"] = _read_level(level.group("value"))
    if "setting" in lowered and (setting := line.cut(vocab.SETTING)):
        fields["setting"] = setting_code(setting.group("value"))
    if "bl-" in lowered and (block := line.cut(vocab.BLOCK)):
        fields["block_ref"] = block.group("value").upper()
    if "educator" in lowered and (educator := line.cut(vocab.EDUCATOR)):
        fields["educator"] = educator.group("value").strip(" ,")

    place = line.cut(vocab.PLACE) if ("at" in lowered or "@" in lowered) else None
    place_text = place.group("value").strip(" ,") if place else ""
    # Bare words ("peer", "year 2") count outside the place or at its very end, so that
    # "at Peer Support Team" keeps its name and "at Ward 12 peer" still gives the model.
    for (anywhere, at_end), name, read, may in (
        (vocab.BARE[0], "supervision_model", model_code, vocab.MAY_HAVE_MODEL),
        (vocab.BARE[1], "student_level", _read_level, vocab.MAY_HAVE_LEVEL),
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
    if (
        place
        and vocab.may_not_be_a_place(place_text)
        and (odd := vocab.NOT_IN_A_PLACE.search(place_text))
    ):
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
