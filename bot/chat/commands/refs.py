"""References as typed in commands and carried by buttons: PL-2027-0042, BL-2027-0001, and
"REF:version" on offer buttons."""

from __future__ import annotations

import re

from bot.chat.suggest import quoted
from bot.kernel.errors import UserError
from bot.kernel.numbers import whole_number

REF = re.compile(r"^(?:PL|BL)-\d{4}-\d{4,}$", re.IGNORECASE)
_KINDS = {"PL": ("offer", "PL-2027-0042"), "BL": ("block", "BL-2027-0001")}


def ref_and_version(value: str) -> tuple[str, int | None]:
    ref, _, version = value.partition(":")
    return ref, whole_number(version)


def need_ref(words: list[str], usage: str) -> str:
    """The reference the command starts with. The kind it needs (offer or block) is the kind of
    reference in its `usage` example, so a refusal names the right one."""
    wanted = "BL" if re.search(r"\bBL-\d{4}", usage) else "PL"
    kind, shape = _KINDS[wanted]
    if not words:
        raise UserError(f"Which {kind}? Give its reference, like {shape}.", example=usage)
    if not REF.match(words[0]):
        raise UserError(
            f"{quoted(words[0][:30])} is not {'a block' if kind == 'block' else 'an offer'} "
            f"reference; {kind} references look like {shape}.",
            example=usage,
        )
    given = words[0][:2].upper()
    if given != wanted:
        other = _KINDS[given][0]
        raise UserError(
            f"{words[0].upper()} is {'a block' if other == 'block' else 'an offer'} reference; "
            f"this needs {'a block' if kind == 'block' else 'an offer'} reference, like {shape}.",
            example=usage,
        )
    return words[0].upper()
