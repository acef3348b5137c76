"""`admin people [ORG]`, `admin role grant|revoke EMAIL ROLE [ORG]`, `admin target set PROFESSION
YEAR EXTRA [baseline N]`: the faculty lead's day-to-day set-up from chat.

The words are read here; the change is made by the same service as `placebot role` and
`placebot target` (bot/faculty), with the same checks and messages, audited as the faculty lead
through the edge they spoke on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bot.chat import suggest
from bot.chat.commands import personal_data
from bot.chat.roles import requires_any_role
from bot.faculty import roles, targets, validate
from bot.faculty.changes import Outcome
from bot.faculty.holders import LISTED_ROLES, RoleHolders, role_holders
from bot.faculty.lookups import find_organisation, person_by_email
from bot.kernel import professions
from bot.kernel.context import Context
from bot.kernel.errors import UserError
from bot.kernel.messages import Fact, Item, Reply
from storage.tables import Organisation

PEOPLE_EXAMPLE = "admin people RX1"
GRANT_EXAMPLE = "admin role grant jo.bloggs@nuh.nhs.uk coordinator RX1"
REVOKE_EXAMPLE = "admin role revoke jo.bloggs@nuh.nhs.uk coordinator RX1"
TARGET_EXAMPLE = "admin target set PT 2026/27 39 baseline 120"
ADMIN_HELP = (
    Fact("admin people [ORG]", "who holds which role (at one organisation, when named)"),
    Fact(
        "admin role grant|revoke EMAIL ROLE [ORG]",
        f"roles: {', '.join(validate.ROLES)}; ORG by name, ODS code or UKPRN, e.g. "
        + GRANT_EXAMPLE,
    ),
    Fact(
        "admin target set PROFESSION YEAR EXTRA [baseline N]",
        "extra placements planned for an academic year, e.g. " + TARGET_EXAMPLE,
    ),
    Fact(
        "admin person export|erase EMAIL",
        "what PlaceBot holds about a person, or erase it (asks first), e.g. "
        + personal_data.EXPORT_EXAMPLE,
    ),
)
MAX_LISTED = 15  # a Slack message holds 50 blocks; each person listed takes 3
ROLE_NAMES = {
    "faculty_lead": ("faculty lead", "faculty leads"),
    "coordinator": ("coordinator", "coordinators"),
    "hei_lead": ("HEI lead", "HEI leads"),
    "clinician": ("clinician", "clinicians"),
}
_QUOTES = "\"'“”‘’"


def _count(n: int, role: str) -> str:
    singular, plural = ROLE_NAMES[role]
    return f"{n} {singular if n == 1 else plural}"


def _org_words(words: list[str]) -> str | None:
    """An organisation typed as the rest of the line, with or without quotes."""
    return " ".join(words).strip(_QUOTES + " ") or None


@contextmanager
def _example(example: str) -> Iterator[None]:
    """The service's refusals, with a chat example where the service gave none."""
    try:
        yield
    except UserError as problem:
        if problem.example is None:
            problem.example = example
        raise


async def people(ctx: Context, rest: str) -> Reply:
    organisation = None
    if wanted := _org_words(rest.split()):
        with _example(PEOPLE_EXAMPLE):
            organisation = await find_organisation(ctx, wanted)
    return people_reply(await role_holders(ctx, organisation), organisation)


def people_reply(found: RoleHolders, organisation: Organisation | None) -> Reply:
    at = f" at {organisation.name}" if organisation else ""
    counts = ", ".join(_count(found.count(role), role) for role in LISTED_ROLES)
    text = f"Who holds which role{at}: {counts}; {_count(found.clinicians, 'clinician')} "
    text += "(counted, not listed)."
    if not found.holders:
        text += " Give someone a role with `admin role grant EMAIL ROLE [ORG]`."
    elif len(found.holders) > MAX_LISTED:
        text += f" Showing the first {MAX_LISTED} of {len(found.holders)}; narrow with "
        text += "`admin people ORG`, or see everyone in `placebot setup export FILE.xlsx`."
    items = []
    for holder in found.holders[:MAX_LISTED]:
        named = ROLE_NAMES[holder.role][0]
        where = f" at {holder.at}" if holder.at else " for the whole faculty"
        items.append(
            Item(
                title=f"{holder.name} <{holder.email}>" if holder.email else holder.name,
                text=named[0].upper() + named[1:] + where,
            )
        )
    return Reply(text=text, items=tuple(items), private=True)


def _role_words(words: list[str], example: str) -> tuple[str, str, str | None]:
    """EMAIL ROLE [ORG] from the words after grant or revoke; a role may be two words."""
    if not words:
        raise UserError("Give the person's work email, then the role.", example=example)
    if len(words) == 1:
        raise UserError(
            f"Give the role for {words[0][:80]} after the email: {', '.join(validate.ROLES)}.",
            example=example,
        )
    two_words = "_".join(words[1:3]).lower()  # "HEI lead", "faculty lead"
    size = 2 if len(words) > 2 and two_words in ("hei_lead", "faculty_lead") else 1
    email = words[0].removeprefix("mailto:")  # Slack may send an address as a mailto link
    return email, " ".join(words[1 : 1 + size]), _org_words(words[1 + size :])


async def role(ctx: Context, rest: str) -> Reply:
    words = rest.split()
    verb = words[0].lower() if words else ""
    if verb not in ("grant", "revoke"):
        shown = suggest.quoted(f"admin role {rest}".strip())
        raise UserError(f"{shown} needs grant or revoke first.", example=GRANT_EXAMPLE)
    example = GRANT_EXAMPLE if verb == "grant" else REVOKE_EXAMPLE
    email, role_name, organisation = _role_words(words[1:], example)
    with _example(example):
        if verb == "grant":
            change = await roles.grant_role(ctx, email, role_name, organisation)
        else:
            change = await roles.revoke_role(ctx, email, role_name, organisation)
    said = {
        Outcome.ADDED: f"Granted: {change.label}.",
        Outcome.REMOVED: f"Revoked: {change.label}.",
    }.get(change.outcome, f"Nothing changed: {change.label}" + _already(verb))
    roles_now = await _roles_of(ctx, validate.email(email))
    return Reply(
        text=said,
        tone="info" if change.outcome is Outcome.UNCHANGED else "success",
        facts=(Fact("Roles now", roles_now),),
        private=True,
    )


def _already(verb: str) -> str:
    return " is already held." if verb == "grant" else "."  # a revoke's label says "(not held)"


async def _roles_of(ctx: Context, email: str) -> str:
    person = await person_by_email(ctx, email)
    if person is None:
        return "none"
    held = []
    for grant in sorted(person.roles, key=lambda g: list(ROLE_NAMES).index(g.role)):
        org = None
        if grant.organisation_id is not None:
            org = await ctx.session.get(Organisation, grant.organisation_id)
        held.append(ROLE_NAMES[grant.role][0] + (f" at {org.name}" if org else ""))
    return "; ".join(held) or "none"


def _baseline(words: list[str]) -> str | None:
    """`baseline 120`, `--baseline 120` or `baseline=120` after the extra placements."""
    if not words:
        return None
    first = words[0].lower().lstrip("-")
    if first.startswith("baseline=") and len(words) == 1:
        return first.partition("=")[2]
    if first == "baseline" and len(words) == 2:
        return words[1]
    raise UserError(
        f"I don't understand “{' '.join(words)[:60]}” after the extra placements; "
        "add only `baseline N`, the placements the year would have had anyway.",
        example=TARGET_EXAMPLE,
    )


async def target(ctx: Context, rest: str) -> Reply:
    words = rest.split()
    if not words or words[0].lower() != "set":
        shown = suggest.quoted(f"admin target {rest}".strip())
        raise UserError(f"{shown} needs set first.", example=TARGET_EXAMPLE)
    profession, tail = professions.take_leading(words[1:])
    if profession is None and words[1:]:
        with _example(TARGET_EXAMPLE):
            professions.resolve(words[1])
    if profession is None or len(tail) < 2:
        raise UserError(
            f"“admin target {rest[:60]}” needs the profession, the academic year and the "
            "extra placements planned, in that order.",
            example=TARGET_EXAMPLE,
        )
    year, extra, baseline = tail[0], tail[1], _baseline(tail[2:])
    with _example(TARGET_EXAMPLE):
        change = await targets.set_target(ctx, profession.code, year, extra, baseline)
    said = {
        Outcome.ADDED: f"Target set: {change.label}.",
        Outcome.UPDATED: f"Target updated ({change.detail}): {change.label}.",
    }.get(change.outcome, f"Nothing changed: the target is already {change.label}.")
    tone = "info" if change.outcome is Outcome.UNCHANGED else "success"
    return Reply(text=said, tone=tone, private=True)


async def admin_help(_ctx: Context, _rest: str) -> Reply:
    return Reply(
        text="Faculty set-up from chat, for AHP faculty leads. Organisations, sites, teams and "
        "new people are added with `placebot` on the command line or the faculty workbook.",
        facts=ADMIN_HELP,
        private=True,
    )


SUBCOMMANDS = {
    "help": admin_help,
    "people": people,
    "role": role,
    "target": target,
    "person": personal_data.run,
}


@requires_any_role(
    "faculty_lead",
    refusal="Only AHP faculty leads can use admin commands (people's roles and targets). "
    "Ask your faculty lead if something needs changing.",
    example="placement help",
)
async def run(ctx: Context, rest: str) -> Reply:
    words = rest.split(maxsplit=1)
    if not words:
        return await admin_help(ctx, "")
    handler = SUBCOMMANDS.get(words[0].lower())
    rest = words[1] if len(words) > 1 else ""
    if handler is None:
        examples = {
            "people": PEOPLE_EXAMPLE,
            "role": GRANT_EXAMPLE,
            "target": TARGET_EXAMPLE,
            "person": personal_data.EXPORT_EXAMPLE,
        }
        raise suggest.unknown_word("admin", words[0], rest, SUBCOMMANDS, examples, GRANT_EXAMPLE)
    return await handler(ctx, rest)
