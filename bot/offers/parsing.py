"""Read a one-line offer ("physio 1 Feb - 12 Mar 2027, 2 students, Stroke Rehab, City Hospital").

The line is taken apart clause by clause: dates, capacity, model, level, setting, educator,
block, notes, and whatever names the place. What cannot be understood is reported, not guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from bot.kernel import dates, professions
from bot.kernel.errors import UserError
from bot.kernel.vocabulary import (
    MODEL_WORD_PATTERN,
    SETTING_WORD_PATTERN,
    level_code,
    model_code,
    setting_code,
)

OFFER_EXAMPLE = "placement offer physio 1 Feb - 12 Mar 2027, 2 students at Ward 12, City Hospital"

_KEYWORDS = r"(?:at|model|supervision|educator|setting|level|block|notes?|capacity)"
_LEVEL = r"\b(?P<value>year\s*[123]|msc(?:\s+pre-?reg(?:istration)?)?)\b"
_BARE_MODEL = rf"(?<![\w:])(?P<value>{MODEL_WORD_PATTERN})(?![\w:])"
_UNTIL_NEXT = rf"(?P<value>.+?)(?=\s*(?:,\s*)?\b{_KEYWORDS}\b|$)"


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


class _Line:
    """The remaining text of a line, from which clauses are cut one by one."""

    def __init__(self, text: str) -> None:
        self.text = text

    def cut(self, pattern: str) -> re.Match[str] | None:
        match = re.search(pattern, self.text, re.IGNORECASE)
        if match:
            self.text = f"{self.text[: match.start()]} , {self.text[match.end() :]}"
        return match

    def leftovers(self) -> list[str]:
        pieces = (piece.strip(" ,;.") for piece in self.text.split(","))
        return [piece for piece in pieces if piece]


def parse_offer_line(text: str, today: date) -> OfferDraft:
    words = text.split()
    profession, rest = professions.take_leading(words)
    if profession is None:
        first = words[0] if words else ""
        raise UserError(
            f"Start the offer with the profession: “{first[:40]}” is not one I know. "
            f"Use a code or a name: {professions.CODES_HINT}.",
            example=OFFER_EXAMPLE,
            field="profession",
        )
    line = _Line(" ".join(rest))
    draft = OfferDraft(profession=profession.code)

    notes = line.cut(r"\bnotes?:?\s+(?P<value>.*)$")
    if notes:
        draft = replace(draft, notes=notes.group("value").strip())

    date_range, line.text = dates.find_range(line.text, today)
    if date_range is None:
        lone = dates.find_single(line.text)
        hint = f"I found a start ({lone}) but no end. " if lone else "The dates are missing. "
        raise UserError(
            hint + "Give both, e.g. “1 Feb - 12 Mar 2027” or “from 3 March for 6 weeks”.",
            example=OFFER_EXAMPLE,
            field="start",
        )
    draft = replace(draft, start=date_range.start, end=date_range.end)

    capacity = line.cut(
        r"\b(?:capacity\s+(?P<a>\d+)|(?P<b>\d+)\s*(?:students?|learners?|places?))\b"
    )
    if capacity:
        draft = replace(draft, capacity=int(capacity.group("a") or capacity.group("b")))

    model = line.cut(rf"\b(?:model|supervision)\s+(?P<value>\d+:\d+|{MODEL_WORD_PATTERN})(?![\w:])")
    if model:
        code = model_code(model.group("value"))
        if code is None:
            raise UserError(
                f"“{model.group('value')}” is not a supervision model I know. "
                "Use 1:1, 2:1, 3:1, long-arm, peer or virtual.",
                example="placement offer PT 1 Feb - 12 Mar 2027 2 students at Ward 12 model 2:1",
                field="supervision_model",
            )
        draft = replace(draft, supervision_model=code)

    level = line.cut(rf"\blevel\s+{_LEVEL}")
    if level:
        draft = replace(draft, student_level=level_code(level.group("value")))

    setting = line.cut(rf"\bsetting\s+(?P<value>{SETTING_WORD_PATTERN})\b")
    if setting:
        draft = replace(draft, setting=setting_code(setting.group("value")))

    block = line.cut(r"\b(?:block\s+)?(?P<value>BL-\d{4}-\d{4})\b")
    if block:
        draft = replace(draft, block_ref=block.group("value").upper())

    educator = line.cut(rf"\beducator:?\s+{_UNTIL_NEXT}")
    if educator:
        draft = replace(draft, educator=educator.group("value").strip(" ,"))

    place = line.cut(r"\bat\s+(?P<value>.+)$")
    place_text = place.group("value").strip(" ,") if place else ""
    # Bare words ("peer", "year 2") count outside the place or at its very end, so that
    # "at Peer Support Team" keeps its name and "at Ward 12 peer" still gives the model.
    for pattern, name, read in (
        (_BARE_MODEL, "supervision_model", model_code),
        (_LEVEL, "student_level", level_code),
    ):
        if getattr(draft, name) is not None:
            continue
        found = line.cut(pattern)
        if found is None and place_text:
            found = re.search(rf"[\s,]+{pattern}\s*$", place_text, re.IGNORECASE)
            place_text = place_text[: found.start()] if found else place_text
        if found:
            draft = replace(draft, **{name: read(found.group("value"))})
    leftovers = line.leftovers()
    if place:
        if leftovers:
            raise UserError(
                f"I could not tell what “{', '.join(leftovers)[:80]}” means in this offer.",
                example=OFFER_EXAMPLE,
            )
        return replace(draft, place=place_text)
    return replace(draft, place=", ".join(leftovers))
