"""`placebot`: serve, demo, migrate, set up a faculty, import training, export placements,
report progress."""

from __future__ import annotations

import argparse
import asyncio
import codecs
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError
from tqdm import tqdm

from adapters import cli_person, cli_report, cli_setup, cli_tokens, logs
from adapters.server import ConfigurationError
from adapters.serving import CommandFailed, run_server, run_worker, serve
from adapters.teams.package import write_package
from bot import demo
from bot.delivery import queue as outbox
from bot.jobs import ScheduleError
from bot.kernel.clock import Clock
from bot.kernel.context import Context
from bot.kernel.errors import UserError
from bot.kernel.jobs import JobContext
from bot.nudges import scan as nudges
from bot.register.csv.stream import write_csv
from bot.register.queries import PlacementQuery
from bot.register.records import count_placements
from bot.reports.summary import job as summary
from bot.training import catalogue as training
from bot.training.events import read_csv, read_ics
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import pending_message, upgrade

log = logging.getLogger("placebot")


async def migrate(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    print("Database is at the latest migration.")


async def run_demo(settings: Settings) -> None:
    settings = settings.model_copy(update={"placebot_local_chat": True})

    async def load() -> None:  # once this process holds the database
        engine = make_engine(settings.database_url)
        try:
            await upgrade(engine)
            clock = Clock(zone=settings.timezone)
            sessions = make_sessionmaker(engine)
            async with sessions.begin() as session:
                loaded = await demo.load(session, clock, settings, term=True)
            if loaded:  # something in the inboxes at once: this week's summary, today's nudges
                ctx = JobContext(sessions, clock, settings)
                for job in (summary.weekly, nudges.scan):
                    print(f"Demo {job.__module__.split('.')[-1]}: {await job(ctx, clock.now())}")
        finally:
            await engine.dispose()
        print("Demo data loaded." if loaded else "Demo data already present.")

    await serve(
        settings,
        "PlaceBot demo is running: open {url} (Ctrl+C stops it)",
        with_worker=True,
        prepare=load,
    )


def read_file(path: Path) -> bytes:
    if not path.is_file():
        raise CommandFailed(f"No file at {path}.")
    return path.read_bytes()


async def import_training(settings: Settings, path: Path, payload: bytes) -> None:
    try:
        if path.suffix.lower() in (".ics", ".ical", ".ifb") or payload.lstrip().startswith(
            b"BEGIN:"
        ):
            events = read_ics(payload, settings.timezone)
        else:
            events = read_csv(payload.decode("utf-8-sig"), settings.timezone)
    except UserError as error:
        raise CommandFailed(error.message) from None
    engine = make_engine(settings.database_url)
    try:
        if problem := await pending_message(engine):
            raise CommandFailed(problem)
        async with make_sessionmaker(engine).begin() as session:
            ctx = Context(session, None, Clock(zone=settings.timezone), settings, "cli")
            result = training.ImportResult()
            for start in tqdm(
                range(0, len(events), 200), desc="Importing", unit="batch", disable=None
            ):
                part = await training.upsert(ctx, events[start : start + 200])
                result.created += part.created
                result.updated += part.updated
                result.unchanged += part.unchanged
    finally:
        await engine.dispose()
    print(
        f"Imported {len(events)} events from {path.name}: {result.created} new, "
        f"{result.updated} updated, {result.unchanged} unchanged."
    )


async def export_placements(settings: Settings, out: TextIO, excel: bool = False) -> int:
    """The whole register as the API's CSV (the same stream, in change order); how many.
    With `excel`, a byte-order mark first, so Excel on Windows reads the names as UTF-8."""
    engine = make_engine(settings.database_url)
    try:
        if problem := await pending_message(engine):
            raise CommandFailed(problem)
        sessions = make_sessionmaker(engine)
        async with sessions() as session:
            total = await count_placements(session)
        with tqdm(
            total=total, desc="Exporting", unit="offer", disable=None, file=sys.stderr
        ) as bar:
            text = codecs.getincrementaldecoder("utf-8")()  # a chunk may end mid-character
            if excel:
                out.write("\ufeff")

            async def write(data: bytes) -> None:
                out.write(text.decode(data))
                # Lines, about right (the header is one, a cell may hold a line feed).
                bar.update(min(data.count(b"\n"), total - bar.n))

            return await write_csv(sessions.begin, PlacementQuery(), write)
    finally:
        await engine.dispose()


async def list_deliveries(settings: Settings, failed_only: bool) -> None:
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = await outbox.listing(session, failed_only)
    finally:
        await engine.dispose()
    if not rows:
        print("No failed deliveries." if failed_only else "The outbox is empty.")
    for row in rows:
        when = (row.sent_at or row.next_attempt_at).isoformat(timespec="minutes")
        error = f"  {row.last_error}" if row.last_error else ""
        print(
            f"{row.id:>6} {row.status:<9} {row.channel:<6} person {row.recipient_id:<5} "
            f"tries {row.attempts} {when}  {row.dedupe_key}{error}"
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="placebot", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True)
    verbs.add_parser("serve", help="run the web server (adapters and API)")
    verbs.add_parser("worker", help="run schedules (one worker leads) and deliver the outbox")
    verbs.add_parser("demo", help="SQLite, demo data, the local chat and the worker, one process")
    verbs.add_parser("migrate", help="upgrade the database to the latest migration")
    importing = verbs.add_parser("import", help="import data").add_subparsers(
        dest="what", required=True
    )
    importing.add_parser("training", help="educator training from iCalendar or CSV").add_argument(
        "file", type=Path
    )
    deliveries = verbs.add_parser(
        "deliveries", help="the outbox: messages sent, due, failed, expired and cancelled"
    )
    deliveries.add_argument("--failed", action="store_true", help="only those that gave up")
    package = verbs.add_parser("teams-package", help="the Teams app zip an admin uploads")
    package.add_argument(
        "--host", required=True, help="the server's public host, e.g. placebot.nhs.uk"
    )
    package.add_argument("-o", "--output", type=Path, default=Path("placebot-teams.zip"))
    cli_tokens.add_parser(verbs)
    cli_setup.add_parsers(verbs)
    cli_report.add_parser(verbs)
    cli_person.add_purge_parser(verbs)
    exporting = verbs.add_parser("export", help="export data").add_subparsers(
        dest="what", required=True
    )
    placements = exporting.add_parser("placements", help="the register as RFC 4180 CSV")
    placements.add_argument(
        "-o", "--output", type=Path, help="write here instead of standard output"
    )
    placements.add_argument(
        "--excel",
        action="store_true",
        help="begin with a UTF-8 byte-order mark, for Excel on Windows",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our own lines say what ran
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        for problem in error.errors():
            name = str(problem["loc"][0]).upper() if problem["loc"] else "settings"
            print(f"placebot: {name}: {problem['msg']}", file=sys.stderr)
        return 2
    logs.configure(settings.placebot_log_format)
    try:
        match args.verb:
            case "serve":
                run_server(serve(settings, "PlaceBot is running on {url}"))
            case "worker":
                asyncio.run(run_worker(settings))
            case "demo":
                run_server(run_demo(settings))
            case "migrate":
                asyncio.run(migrate(settings))
            case "import":
                asyncio.run(import_training(settings, args.file, read_file(args.file)))
            case "deliveries":
                asyncio.run(list_deliveries(settings, args.failed))
            case "teams-package":
                if not settings.microsoft_app_id:
                    raise CommandFailed("Set MICROSOFT_APP_ID to the bot's app id first.")
                write_package(args.output, settings.microsoft_app_id, args.host)
                print(f"Wrote {args.output}: upload it in Teams admin centre, Manage apps, Upload.")
            case verb if verb in cli_setup.VERBS:
                return cli_setup.run(settings, args)
            case "token":
                print(asyncio.run(cli_tokens.run(settings, args)))
            case "report":
                asyncio.run(cli_report.run(settings, args))
            case "purge":
                print(cli_person.run_purge(settings, args))
            case "export" if args.output:
                with args.output.open("w", newline="", encoding="utf-8") as out:
                    rows = asyncio.run(export_placements(settings, out, args.excel))
                print(f"Exported {rows} placements to {args.output}.", file=sys.stderr)
            case "export":
                asyncio.run(export_placements(settings, sys.stdout, args.excel))
    except (
        CommandFailed,
        ConfigurationError,
        ScheduleError,
        cli_tokens.TokenCommandFailed,
        cli_report.ReportFailed,
        cli_person.PersonCommandFailed,
    ) as error:
        print(f"placebot: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
