"""The shapes set-up input must have, each refusal saying what was wrong and how to put it right.

Every function returns the value in its stored form (codes upper-cased, emails lower-cased)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.kernel import professions
from bot.kernel.errors import UserError
from bot.kernel.text import clean

PROVIDER_TYPES = ("nhs_trust", "local_authority", "independent", "voluntary")
ROLES = ("clinician", "coordinator", "hei_lead", "faculty_lead")
# Domains many organisations' staff share: an address there says nothing about the employer.
SHARED_EMAIL_DOMAINS = frozenset(
    {
        "nhs.net", "nhs.uk", "nhs.scot", "wales.nhs.uk", "hscni.net", "gov.uk", "ac.uk",
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "live.com",
        "live.co.uk", "msn.com", "yahoo.com", "yahoo.co.uk", "icloud.com", "me.com", "aol.com",
        "btinternet.com", "sky.com", "virginmedia.com", "talktalk.net", "protonmail.com",
        "proton.me",
    }
)  # fmt: skip

_UKPRN = re.compile(r"1\d{7}")
_ODS_ORG = re.compile(r"[A-Z0-9]{3,6}")
_ODS_SITE = re.compile(r"[A-Z0-9]{3,10}")
_EMAIL = re.compile(r"[^@\s]+@([a-z0-9-]+\.)+[a-z]{2,}")
_DOMAIN = re.compile(r"([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}")
_YEAR = re.compile(r"(20\d\d)(?:\s*[/-]\s*(\d\d|20\d\d))?")


def _shown(text: str) -> str:
    return text.strip()[:80] or "(nothing)"


def name(text: str, what: str, example: str) -> str:
    cleaned = " ".join(clean(text).split())  # CLI arguments too, not only imported cells
    if not cleaned:
        raise UserError(f"Please give the {what}'s name, e.g. “{example}”.", field="name")
    if len(cleaned) > 200:
        raise UserError(f"The {what}'s name is over 200 characters; please shorten it.")
    return cleaned


def ukprn(text: str) -> str:
    value = text.strip()
    if not _UKPRN.fullmatch(value):
        raise UserError(
            f"“{_shown(text)}” is not a UKPRN: it is 8 digits starting with 1, e.g. 10007795. "
            "Look it up on the UK Register of Learning Providers (ukrlp.co.uk).",
            field="ukprn",
        )
    return value


def ods_code(text: str, site: bool = False) -> str:
    value = text.strip().upper()
    if not (_ODS_SITE if site else _ODS_ORG).fullmatch(value):
        size = "3 to 10" if site else "3 to 6"
        example = "RGT01" if site else "RGT"
        raise UserError(
            f"“{_shown(text)}” is not an ODS {'site ' if site else ''}code: it is {size} letters "
            f"and digits, e.g. {example}. Look it up on the NHS ODS portal "
            "(odsportal.digital.nhs.uk).",
            field="ods_code",
        )
    return value


def provider_type(text: str) -> str:
    value = text.strip().lower().replace("-", "_").replace(" ", "_")
    if value not in PROVIDER_TYPES:
        raise UserError(
            f"“{_shown(text)}” is not a provider type; use one of {', '.join(PROVIDER_TYPES)}.",
            field="provider_type",
        )
    return value


def email(text: str) -> str:
    value = clean(text).strip().lower()
    if len(value) > 320 or not _EMAIL.fullmatch(value):
        raise UserError(
            f"“{_shown(text)}” is not an email address; give a work address such as "
            "jo.bloggs@nuh.nhs.uk.",
            field="email",
        )
    return value


def email_domain(text: str) -> str:
    value = clean(text).strip().lower().removeprefix("@")
    if len(value) > 253 or not _DOMAIN.fullmatch(value):
        raise UserError(
            f"“{_shown(text)}” is not an email domain; give the part after the @, e.g. nuh.nhs.uk.",
            field="email_domain",
        )
    if value in SHARED_EMAIL_DOMAINS:
        raise UserError(
            f"{value} is shared by staff of many organisations, so it cannot identify one "
            "provider. Give the provider's own domain (e.g. nuh.nhs.uk), or none.",
            field="email_domain",
        )
    return value


def email_domains(texts: Iterable[str]) -> list[str]:
    return sorted({email_domain(text) for text in texts})


def profession_codes(texts: Iterable[str]) -> tuple[str, ...]:
    """Codes for professions named by code or alias, in a fixed order, each once."""
    found = {professions.resolve(text).code for text in texts if text.strip()}
    return tuple(code for code in professions.PROFESSION_CODES if code in found)


def split_list(text: str) -> list[str]:
    """`PT,OT` or `PT, OT`, as the CLI's options take several values."""
    return [part.strip() for part in text.split(",") if part.strip()]


def role(text: str) -> str:
    value = text.strip().lower().replace("-", "_").replace(" ", "_")
    if value not in ROLES:
        raise UserError(
            f"“{_shown(text)}” is not a role; use one of {', '.join(ROLES)}.", field="role"
        )
    return value


def academic_year(text: str) -> str:
    """`2026/27`, `2026-27`, `2026/2027` or `2026` (the year starting in September 2026)."""
    match = _YEAR.fullmatch(text.strip())
    first = int(match.group(1)) if match else 0
    second = match.group(2) if match else None
    if match is None or (second is not None and int(second) % 100 != (first + 1) % 100):
        raise UserError(
            f"“{_shown(text)}” is not an academic year; write it as 2026/27 (September 2026 to "
            "August 2027).",
            field="academic_year",
        )
    return f"{first}/{(first + 1) % 100:02d}"


def count(value: int | str, what: str) -> int:
    """A whole number of placements, zero or more."""
    try:
        number = int(str(value).strip())
    except ValueError:
        number = -1
    if number < 0 or number > 1_000_000:
        raise UserError(
            f"“{_shown(str(value))}” is not a number of {what}; give a whole number, 0 or more.",
            field=what,
        )
    return number
