"""References as typed in commands and carried by buttons: PL-2027-0042, BL-2027-0001, and
"REF:version" on offer buttons."""

from __future__ import annotations

import re

from bot.kernel.errors import UserError
from bot.kernel.numbers import whole_number

REF = re.compile(r"^(?:PL|BL)-\d{4}-\d{4,}$", re.IGNORECASE)


def ref_and_version(value: str) -> tuple[str, int | None]:
    ref, _, version = value.partition(":")
    return ref, whole_number(version)


def need_ref(words: list[str], usage: str) -> str:
    if not words:
        raise UserError("Which offer or block? Give its reference.", example=usage)
    if not REF.match(words[0]):
        raise UserError(
            f"“{words[0][:30]}” is not a reference; they look like PL-2027-0042.", example=usage
        )
    return words[0].upper()
