"""A whole faculty workbook applied through the set-up service, row by row in one transaction:
every change it makes (or would make), or every bad cell, with the sheet, row and column.

The caller owns the transaction: it commits only when asked to apply and no row was refused, and
otherwise rolls back, so a dry run and a refused file store nothing. Rows whose organisation,
site or team was itself refused are passed over, so that one mistake is reported once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.faculty import organisations, people, roles, targets, teams
from bot.faculty.batch_check import check
from bot.faculty.changes import Change, Outcome
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
from bot.faculty.validate import split_list
from bot.kernel.context import Context
from bot.kernel.errors import NotFound, UserError

# The column a refusal's field points at, where its name differs from the column's key.
_FIELD_KEYS = {
    "email_domain": "email_domains",
    "extra placements": "extra",
    "baseline placements": "baseline",
}
# The column a refusal without a field is shown against (usually the row's natural key).
_FALLBACK = {
    ORGANISATIONS.name: "name",
    SITES.name: "name",
    TEAMS.name: "name",
    PEOPLE.name: "email",
    TARGETS.name: "profession",
}


@dataclass
class Plan:
    """What a workbook did, or would do: the changes, or the problems that stop it."""

    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for change in self.changes if change.outcome is outcome)


def _optional(text: str) -> str | None:
    return text or None


def _listed(text: str) -> list[str] | None:
    return split_list(text) if text else None


async def _organisation(ctx: Context, row: Row) -> list[Change]:
    if row.get("kind").lower() == "hei":
        hei = organisations.add_hei(
            ctx, row.get("name"), row.get("ukprn"), _listed(row.get("professions"))
        )
        return [await hei]
    provider = organisations.add_provider(
        ctx,
        row.get("name"),
        row.get("ods_code"),
        row.get("provider_type"),
        _listed(row.get("email_domains").lower()),
    )
    return [await provider]


async def _site(ctx: Context, row: Row) -> list[Change]:
    site = organisations.add_site(
        ctx, row.get("organisation"), row.get("name"), _optional(row.get("ods_code"))
    )
    return [await site]


async def _team(ctx: Context, row: Row) -> list[Change]:
    team = teams.add_team(
        ctx,
        row.get("organisation"),
        row.get("name"),
        _optional(row.get("site")),
        _listed(row.get("professions")),
    )
    return [await team]


async def _person(ctx: Context, row: Row) -> list[Change]:
    role, role_at = _optional(row.get("role")), row.get("role_at")
    done = [
        await people.add_person(
            ctx,
            row.get("email"),
            row.get("name"),
            None if role_at else role,
            _optional(row.get("organisation")),
            _optional(row.get("team")),
            _listed(row.get("professions")),
        )
    ]
    if role and role_at:
        at = None if role_at.lower() == FACULTY_WIDE else role_at
        done.append(await roles.grant_role(ctx, row.get("email"), role, at))
    return done


async def _target(ctx: Context, row: Row) -> list[Change]:
    target = targets.set_target(
        ctx,
        row.get("profession"),
        row.get("academic_year"),
        row.get("extra"),
        _optional(row.get("baseline")),
    )
    return [await target]


Apply = Callable[[Context, Row], Awaitable[list[Change]]]
# Each sheet, what it refers to (cells naming records of an earlier sheet) and how it applies.
_STEPS: tuple[tuple[SheetSpec, tuple[str, ...], Apply], ...] = (
    (ORGANISATIONS, (), _organisation),
    (SITES, ("organisation",), _site),
    (TEAMS, ("organisation", "site"), _team),
    (PEOPLE, ("organisation", "team", "role_at"), _person),
    (TARGETS, (), _target),
)
# The cells by which later sheets may name a row of each sheet.
_NAMED_BY = {
    ORGANISATIONS.name: ("name", "ukprn", "ods_code"),
    SITES.name: ("name", "ods_code"),
    TEAMS.name: ("name",),
}


def _names(row: Row, sheet: SheetSpec) -> set[str]:
    return {row.get(key).lower() for key in _NAMED_BY.get(sheet.name, ()) if row.get(key)}


async def run(ctx: Context, book: Workbook) -> Plan:
    """Check the workbook, then apply each good row in order; the caller commits or rolls back."""
    good, problems = check(book)
    plan = Plan(problems=problems)
    refused: set[str] = set()
    for sheet, _refers, _apply in _STEPS:
        passed = {row.number for row in good[sheet.name]}
        rows = book.rows.get(sheet.name, [])
        bad = set().union(*(_names(row, sheet) for row in rows if row.number not in passed))
        # A name a good row also has (the first of two rows with one ODS code) still stands.
        refused |= bad - set().union(*(_names(row, sheet) for row in good[sheet.name]))
    for sheet, refers, apply in _STEPS:
        for row in good[sheet.name]:
            if any(row.get(key).lower() in refused for key in refers if row.get(key)):
                continue
            try:
                async with ctx.session.begin_nested():
                    done = await apply(ctx, row)
                plan.changes.extend(change for change in done if not _told(plan, change))
            except UserError as error:
                key = _key(sheet, row, error)
                plan.problems.append(Problem(sheet, row.number, key, _hinted(error, key)))
                refused |= _names(row, sheet)
    plan.problems.sort(key=lambda p: ([s.name for s, _, _ in _STEPS].index(p.sheet.name), p.row))
    return plan


# Where a missing record can be added in the workbook itself.
_ADD_ON = {"organisation": ORGANISATIONS, "role_at": ORGANISATIONS, "site": SITES, "team": TEAMS}


def _hinted(error: UserError, key: str) -> str:
    sheet = _ADD_ON.get(key)
    if isinstance(error, NotFound) and sheet is not None:
        return f"{error.message} Or add it on the {sheet.name} sheet."
    return error.message


def _told(plan: Plan, change: Change) -> bool:
    """Whether an unchanged record was already reported: a person on several rows (one per
    role) is listed once unless a later row changes them."""
    if change.outcome is not Outcome.UNCHANGED:
        return False
    return any((c.entity, c.label) == (change.entity, change.label) for c in plan.changes)


def _key(sheet: SheetSpec, row: Row, error: UserError) -> str:
    key = _FIELD_KEYS.get(error.field or "", error.field or "")
    if sheet is PEOPLE and key == "organisation" and row.get("role_at"):
        key = "role_at"
    if key not in {column.key for column in sheet.columns}:
        key = _FALLBACK[sheet.name]
    return key
