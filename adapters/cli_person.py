"""`placebot person export|erase EMAIL`: a person's data as JSON, or erased; `placebot purge
[--dry-run]`: delete what is past its keeping time now, as the nightly schedule does.

Erasure asks for `--yes`: without it, it says what would be erased and changes nothing."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from bot.kernel.clock import Clock
from bot.kernel.context import Context
from bot.kernel.errors import UserError
from bot.privacy import erase, export, retention
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import pending_message

PERSON_ACTIONS = ("export", "erase")


def add_person_actions(actions: Any) -> None:
    """`export` and `erase` beside `person add`."""
    exporting = actions.add_parser("export", help="everything held about a person, as JSON")
    exporting.add_argument("email")
    exporting.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    erasing = actions.add_parser(
        "erase", help="remove a person's personal data; the register keeps their offers"
    )
    erasing.add_argument("email")
    erasing.add_argument("--yes", action="store_true", help="erase (without it, only say what)")


def add_purge_parser(verbs: Any) -> None:
    purge = verbs.add_parser("purge", help="delete what is past its keeping time (PLACEBOT_KEEP_*)")
    purge.add_argument("--dry-run", action="store_true", help="count only; delete nothing")


class PersonCommandFailed(Exception):
    """Input to fix or a database not ready; the message says which."""


async def _in_transaction(settings: Settings, work: Any, commit: bool) -> Any:
    engine = make_engine(settings.database_url)
    try:
        if problem := await pending_message(engine):
            raise PersonCommandFailed(problem)
        async with make_sessionmaker(engine)() as session:
            await session.begin()
            ctx = Context(session, None, Clock(zone=settings.timezone), settings, "cli")
            try:
                done = await work(ctx)
            except UserError as error:
                raise PersonCommandFailed(error.message) from None
            await (session.commit() if commit else session.rollback())
            return done
    finally:
        await engine.dispose()


def run_person(settings: Settings, args: argparse.Namespace) -> str:
    """What to print for `person export|erase`."""
    if args.action == "export":
        document = asyncio.run(
            _in_transaction(settings, lambda ctx: export.export(ctx, args.email), commit=False)
        )
        text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
        if args.output is None:
            return text
        args.output.write_text(text + "\n", encoding="utf-8")
        counts = ", ".join(f"{n} {what}" for what, n in export.summary(document))
        return f"Wrote {args.output}: {counts}."
    done = asyncio.run(
        _in_transaction(settings, lambda ctx: erase.erase(ctx, args.email), commit=args.yes)
    )
    if args.yes:
        return done.line()
    return (
        done.line().replace("Erased", "Would erase", 1)
        + " Nothing was changed; add --yes to erase."
    )


async def _purge(settings: Settings, dry_run: bool) -> dict[str, int]:
    engine = make_engine(settings.database_url)
    try:
        if problem := await pending_message(engine):
            raise PersonCommandFailed(problem)
        clock = Clock(zone=settings.timezone)
        return await retention.purge(make_sessionmaker(engine), settings, clock.now(), dry_run)
    finally:
        await engine.dispose()


def run_purge(settings: Settings, args: argparse.Namespace) -> str:
    counts = asyncio.run(_purge(settings, args.dry_run))
    return retention.said(counts, args.dry_run).capitalize() + "."
