"""`placebot org|site|team|person|role|target ...`: a faculty's set-up, one change per command;
`placebot setup template|import|export`: the whole set-up as a workbook.

Each command is one transaction that prints what it did; input the core refuses is printed to
stderr, exit status 2, with nothing stored."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from adapters import cli_person
from adapters.workbook import read, write
from bot.faculty import batch, organisations, people, roles, targets, teams
from bot.faculty.changes import Change, Outcome
from bot.faculty.snapshot import snapshot
from bot.faculty.validate import PROVIDER_TYPES, ROLES, split_list
from bot.kernel.clock import Clock
from bot.kernel.context import Context
from bot.kernel.errors import UserError
from bot.membership import claims
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import pending_message

VERBS = ("org", "site", "team", "person", "role", "target", "setup")
ORG_HELP = "the organisation's full name, ODS code or UKPRN"
PROFESSIONS_HELP = "professions by code or name, comma-separated, e.g. PT,OT"


def add_parsers(verbs: Any) -> None:
    """The set-up verbs, on the CLI's subparsers."""
    org = verbs.add_parser("org", help="add or update an HEI or a placement provider")
    kinds = (
        org.add_subparsers(dest="action", required=True)
        .add_parser("add")
        .add_subparsers(dest="kind", required=True)
    )
    hei = kinds.add_parser("hei", help="an HEI, known by its UKPRN")
    hei.add_argument("name")
    hei.add_argument("--ukprn", required=True, help="8 digits starting with 1")
    hei.add_argument("--professions", type=split_list, help=PROFESSIONS_HELP)
    provider = kinds.add_parser("provider", help="a placement provider, known by its ODS code")
    provider.add_argument("name")
    provider.add_argument("--ods", required=True, help="the ODS code, e.g. RR8")
    provider.add_argument("--type", required=True, help=" | ".join(PROVIDER_TYPES))
    provider.add_argument(
        "--email-domain", action="append", dest="email_domains",
        help="a domain only this provider's staff use, e.g. leedsth.nhs.uk (repeatable)",
    )  # fmt: skip

    site = _action(verbs, "site", "add", "add or update a provider's site")
    site.add_argument("organisation", help=ORG_HELP)
    site.add_argument("name")
    site.add_argument("--ods", help="the site's ODS code, e.g. RR813")

    team_verb = verbs.add_parser("team", help="add a provider's team, or make someone a member")
    team_actions = team_verb.add_subparsers(dest="action", required=True)
    team = team_actions.add_parser("add", help="add or update a provider's team")
    team.add_argument("organisation", help=ORG_HELP)
    team.add_argument("name")
    team.add_argument("--site", help="the site's name or ODS code")
    team.add_argument("--professions", type=split_list, help=PROFESSIONS_HELP)
    joining = team_actions.add_parser(
        "join", help="make a person a member of a team, releasing offers held on their word"
    )
    joining.add_argument("team", help="the team's name")
    joining.add_argument("email", help="the person's work email")
    joining.add_argument("--organisation", help=ORG_HELP + " (when team names repeat)")

    person_verb = verbs.add_parser(
        "person", help="add or update a person by work email; export or erase their data"
    )
    person_actions = person_verb.add_subparsers(dest="action", required=True)
    person = person_actions.add_parser("add", help="add or update a person, by work email")
    cli_person.add_person_actions(person_actions)
    person.add_argument("email")
    person.add_argument("--name", required=True)
    person.add_argument("--role", help=" | ".join(ROLES) + " (clinician if not given)")
    person.add_argument("--organisation", help=ORG_HELP)
    person.add_argument("--team", help="the team's name")
    person.add_argument("--professions", type=split_list, help=PROFESSIONS_HELP)

    role = verbs.add_parser("role", help="grant or revoke a person's role")
    changes = role.add_subparsers(dest="action", required=True)
    for action in ("grant", "revoke"):
        change = changes.add_parser(action)
        change.add_argument("email")
        change.add_argument("role", help=" | ".join(ROLES))
        change.add_argument("organisation", nargs="?", help=ORG_HELP)

    target = _action(verbs, "target", "set", "set a profession's target for an academic year")
    target.add_argument("profession")
    target.add_argument("year", help="the academic year, e.g. 2026/27")
    target.add_argument("extra", help="extra placements planned that year")
    target.add_argument("--baseline", help="placements the year would have had anyway")

    setup = verbs.add_parser("setup", help="the whole set-up as a workbook (.xlsx or CSV files)")
    steps = setup.add_subparsers(dest="action", required=True)
    steps.add_parser("template", help="write an empty workbook to fill in").add_argument(
        "file", type=Path
    )
    importing = steps.add_parser("import", help="check a workbook, and with --apply store it")
    importing.add_argument("file", type=Path, help="an .xlsx file or a folder of CSV files")
    importing.add_argument("--apply", action="store_true", help="store the changes")
    steps.add_parser("export", help="write the stored set-up as a workbook").add_argument(
        "file", type=Path
    )


def _action(verbs: Any, verb: str, action: str, help: str) -> argparse.ArgumentParser:
    parser = verbs.add_parser(verb, help=help)
    actions = parser.add_subparsers(dest="action", required=True)
    made: argparse.ArgumentParser = actions.add_parser(action, help=help)
    return made


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Do the verb, print what it did; 2 for input to fix, 1 when the database is not ready."""
    if args.verb == "setup":
        return _workbook(settings, args)
    if args.verb == "person" and args.action in cli_person.PERSON_ACTIONS:
        try:
            print(cli_person.run_person(settings, args))
        except cli_person.PersonCommandFailed as error:
            print(f"placebot: {error}", file=sys.stderr)
            return 2
        return 0
    try:
        print(asyncio.run(_apply(settings, args)).line())
    except UserError as error:
        print(f"placebot: {error.message}", file=sys.stderr)
        return 2
    except _NotReady as error:
        print(f"placebot: {error}", file=sys.stderr)
        return 1
    return 0


class _NotReady(Exception):
    """The database is behind the code's migrations."""


def _workbook(settings: Settings, args: argparse.Namespace) -> int:
    try:
        if args.action == "template":
            write.write_template(args.file)
            print(f"Wrote the faculty workbook template to {args.file}; fill it in, then run "
                  f"`placebot setup import {args.file}`.")  # fmt: skip
            return 0
        if args.action == "export":
            book = asyncio.run(_session(settings, lambda ctx: snapshot(ctx), commit=False))
            write.write(book, args.file)
            print(f"Wrote the faculty set-up to {args.file}.")
            return 0
        book, problems = read.read(args.file)
        plan = batch.Plan(problems=problems)
        if not problems:
            plan = asyncio.run(
                _session(settings, lambda ctx: batch.run(ctx, book), commit=args.apply)
            )
    except read.Unreadable as error:
        print(f"placebot: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"placebot: cannot write {args.file}: {error.strerror or error}.", file=sys.stderr)
        return 2
    except _NotReady as error:
        print(f"placebot: {error}", file=sys.stderr)
        return 1
    return _report(plan, args.apply)


def _report(plan: batch.Plan, applied: bool) -> int:
    if plan.problems:
        for problem in plan.problems:
            print(f"placebot: {problem.line()}", file=sys.stderr)
        print(f"placebot: {len(plan.problems)} to put right; nothing was changed.", file=sys.stderr)
        return 2
    for change in plan.changes:
        line = change.line()
        if not applied:
            line = line.replace("Added", "Would add", 1).replace("Updated", "Would update", 1)
        print(line)
    counts = ", ".join(
        f"{plan.count(outcome)} {outcome.value}"
        for outcome in (Outcome.ADDED, Outcome.UPDATED, Outcome.UNCHANGED)
    )
    if applied:
        print(f"Done: {counts}.")
    else:
        print(f"Dry run: {counts}. Nothing was changed; add --apply to make these changes.")
    return 0


async def _session(settings: Settings, work: Any, commit: bool) -> Any:
    """`work(ctx)` in one transaction, committed only when `commit` and nothing was refused."""
    engine = make_engine(settings.database_url)
    try:
        if problem := await pending_message(engine):
            raise _NotReady(problem)
        async with make_sessionmaker(engine)() as session:
            await session.begin()
            ctx = Context(session, None, Clock(zone=settings.timezone), settings, "cli")
            done = await work(ctx)
            if commit and not getattr(done, "problems", None):
                await session.commit()
            else:
                await session.rollback()
            return done
    finally:
        await engine.dispose()


async def _apply(settings: Settings, args: argparse.Namespace) -> Change:
    engine = make_engine(settings.database_url)
    try:
        if problem := await pending_message(engine):
            raise _NotReady(problem)
        async with make_sessionmaker(engine).begin() as session:
            ctx = Context(session, None, Clock(zone=settings.timezone), settings, "cli")
            return await _change(ctx, args)
    finally:
        await engine.dispose()


async def _change(ctx: Context, args: argparse.Namespace) -> Change:
    match args.verb, args.action:
        case "org", _ if args.kind == "hei":
            return await organisations.add_hei(ctx, args.name, args.ukprn, args.professions)
        case "org", _:
            domains = [d for given in args.email_domains or () for d in split_list(given)]
            return await organisations.add_provider(
                ctx, args.name, args.ods, args.type, domains if args.email_domains else None
            )
        case "site", _:
            return await organisations.add_site(ctx, args.organisation, args.name, args.ods)
        case "team", "join":
            change, _released = await claims.faculty_confirms(
                ctx, args.email, args.team, args.organisation
            )
            return change
        case "team", _:
            return await teams.add_team(
                ctx, args.organisation, args.name, args.site, args.professions
            )
        case "person", _:
            return await people.add_person(
                ctx, args.email, args.name, args.role, args.organisation, args.team,
                args.professions,
            )  # fmt: skip
        case "role", "grant":
            return await roles.grant_role(ctx, args.email, args.role, args.organisation)
        case "role", _:
            return await roles.revoke_role(ctx, args.email, args.role, args.organisation)
    return await targets.set_target(ctx, args.profession, args.year, args.extra, args.baseline)
