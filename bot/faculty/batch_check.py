"""A workbook's rows checked on their own, before any is stored: each cell with the set-up's own
validators, required cells filled in, and no natural key given twice.

What a row refers to (an organisation, a site, a team) is checked when the batch applies it,
since it may already be stored rather than on the sheet."""

from __future__ import annotations

from collections.abc import Callable

from bot.faculty import validate
from bot.faculty.sheets import (
    FACULTY_WIDE,
    ORGANISATIONS,
    PEOPLE,
    SITES,
    TARGETS,
    TEAMS,
    Problem,
    Row,
    SheetSpec,
    Workbook,
)
from bot.kernel import professions
from bot.kernel.errors import UserError


class _Checker:
    """Problems found in one sheet, and the rows that had none."""

    def __init__(self, sheet: SheetSpec, problems: list[Problem]) -> None:
        self.sheet = sheet
        self.problems = problems
        self.seen: dict[tuple[str, ...], int] = {}

    def say(self, row: Row, key: str, message: str) -> None:
        self.problems.append(Problem(self.sheet, row.number, key, message))

    def cell(
        self, row: Row, key: str, check: Callable[[str], object], required: bool = True
    ) -> bool:
        """Whether the cell is good: filled in when required, and accepted by `check`."""
        text = row.get(key)
        if not text:
            if required:
                self.say(row, key, f"This cell is empty; fill in the {self._what(key)}.")
            return not required
        try:
            check(text)
        except UserError as error:
            self.say(row, key, error.message)
            return False
        return True

    def blank(self, row: Row, key: str, why: str) -> bool:
        if row.get(key):
            self.say(row, key, f"Leave this cell empty: {why}")
            return False
        return True

    def once(self, row: Row, key: str, value: tuple[str, ...], what: str) -> bool:
        """Whether `value` (a natural key) is given here for the first time on this sheet."""
        if not all(value):
            return True
        first = self.seen.setdefault(value, row.number)
        if first != row.number:
            self.say(row, key, f"Row {first} already has this {what}; give each only once.")
            return False
        return True

    def _what(self, key: str) -> str:
        return self.sheet.header(key).split(" (")[0].lower().replace("ods", "ODS")


def _professions(text: str) -> object:
    return validate.profession_codes(validate.split_list(text))


def _domains(text: str) -> object:
    return validate.email_domains(validate.split_list(text))


def _organisations(rows: list[Row], problems: list[Problem]) -> list[Row]:
    check = _Checker(ORGANISATIONS, problems)
    domains = _Checker(ORGANISATIONS, problems)
    good = []
    for row in rows:
        kind = row.get("kind").lower()
        ok = check.cell(row, "kind", _kind)
        ok &= check.cell(row, "name", lambda t: validate.name(t, "organisation", "NHS Trust"))
        ok &= check.once(row, "name", (row.get("name").lower(),), "name")
        if kind == "hei":
            ok &= check.cell(row, "ukprn", validate.ukprn)
            ok &= check.once(row, "ukprn", (row.get("ukprn"),), "UKPRN")
            ok &= check.cell(row, "professions", _professions, required=False)
            for key in ("ods_code", "provider_type", "email_domains"):
                ok &= check.blank(row, key, "an HEI has none; it is known by its UKPRN.")
        elif kind == "provider":
            ok &= check.cell(row, "ods_code", validate.ods_code)
            ok &= check.once(row, "ods_code", (row.get("ods_code").upper(),), "ODS code")
            ok &= check.cell(row, "provider_type", validate.provider_type)
            ok &= check.cell(row, "email_domains", _domains, required=False)
            for domain in validate.split_list(row.get("email_domains").lower()):
                ok &= domains.once(row, "email_domains", (domain,), f"email domain {domain}")
            ok &= check.blank(row, "ukprn", "a provider is known by its ODS code.")
            ok &= check.blank(row, "professions", "professions are given for a provider's teams.")
        if ok:
            good.append(row)
    return good


def _kind(text: str) -> str:
    if text.strip().lower() not in ("hei", "provider"):
        raise UserError(
            f"“{text.strip()[:40]}” is not a kind; write hei for a university or provider for a "
            "trust, council or other placement provider."
        )
    return text


def _sites(rows: list[Row], problems: list[Problem]) -> list[Row]:
    check = _Checker(SITES, problems)
    good = []
    for row in rows:
        ok = check.cell(row, "organisation", str)
        ok &= check.cell(row, "name", lambda t: validate.name(t, "site", "St James's Hospital"))
        key = (row.get("organisation").lower(), row.get("name").lower())
        ok &= check.once(row, "name", key, "site")
        ok &= check.cell(row, "ods_code", lambda t: validate.ods_code(t, site=True), False)
        ok &= check.once(row, "ods_code", (row.get("ods_code").upper(),), "ODS site code")
        if ok:
            good.append(row)
    return good


def _teams(rows: list[Row], problems: list[Problem]) -> list[Row]:
    check = _Checker(TEAMS, problems)
    good = []
    for row in rows:
        ok = check.cell(row, "organisation", str)
        ok &= check.cell(row, "name", lambda t: validate.name(t, "team", "Stroke Rehabilitation"))
        key = (row.get("organisation").lower(), row.get("name").lower())
        ok &= check.once(row, "name", key, "team")
        ok &= check.cell(row, "professions", _professions, required=False)
        if ok:
            good.append(row)
    return good


def _people(rows: list[Row], problems: list[Problem]) -> list[Row]:
    check = _Checker(PEOPLE, problems)
    good = []
    for row in rows:
        ok = check.cell(row, "email", validate.email)
        ok &= check.cell(row, "name", lambda t: validate.name(t, "person", "Jo Bloggs"))
        ok &= check.cell(row, "role", validate.role, required=False)
        ok &= check.cell(row, "professions", _professions, required=False)
        role_at = row.get("role_at")
        if role_at and not row.get("role"):
            check.say(row, "role_at", "Give the role in the Role column, or leave this empty.")
            ok = False
        elif role_at.lower() == FACULTY_WIDE and row.get("role").lower() != "faculty_lead":
            check.say(row, "role_at", "Only a faculty lead's role is faculty-wide.")
            ok = False
        key = (row.get("email").lower(), row.get("role").lower() or "-", role_at.lower() or "-")
        ok &= check.once(row, "role", key, "person and role")
        if ok:
            good.append(row)
    return good


def _targets(rows: list[Row], problems: list[Problem]) -> list[Row]:
    check = _Checker(TARGETS, problems)
    good = []
    for row in rows:
        ok = check.cell(row, "profession", professions.resolve)
        ok &= check.cell(row, "academic_year", validate.academic_year)
        ok &= check.cell(row, "extra", lambda t: validate.count(t, "extra placements"))
        ok &= check.cell(row, "baseline", lambda t: validate.count(t, "baseline placements"), False)
        if ok:
            code = professions.resolve(row.get("profession")).code
            year = validate.academic_year(row.get("academic_year"))
            ok &= check.once(row, "profession", (code, year), "profession and academic year")
        if ok:
            good.append(row)
    return good


CHECKS = {
    ORGANISATIONS.name: _organisations,
    SITES.name: _sites,
    TEAMS.name: _teams,
    PEOPLE.name: _people,
    TARGETS.name: _targets,
}


def check(book: Workbook) -> tuple[dict[str, list[Row]], list[Problem]]:
    """The rows of each sheet that passed, and every problem found, in sheet and row order."""
    problems: list[Problem] = []
    good = {name: run(book.rows.get(name, []), problems) for name, run in CHECKS.items()}
    return good, problems
