"""The long-running verbs, `serve`, `worker` and the demo's server, from start to a graceful stop.

A stop (SIGTERM, SIGINT) is bounded by `PLACEBOT_SHUTDOWN_SECONDS`: the server refuses new
requests and answers those in hand, the edges drain their background work, the worker gives back
the outbox rows it claimed and releases the schedule lock; then the process exits 0. On an SQLite
file one server runs at a time (SQLite has one writer): a second refuses to start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters import shutdown, worker
from adapters.access_log import AccessLog
from adapters.server import build_app, check_settings
from bot.runtime.leadership import FileLock, server_lock_for
from config.settings import Settings
from storage.engine import make_engine
from storage.migrate import pending_message

log = logging.getLogger("placebot")


class CommandFailed(Exception):
    """A CLI verb could not do its job; the message says why and what to do."""


def run_server(main: Coroutine[Any, Any, None]) -> None:
    """Servers run on uvloop where it is installed: less CPU per request than asyncio's loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - platforms without uvloop (Windows)
        asyncio.run(main)
    else:
        uvloop.run(main)


def serving_engine(settings: Settings) -> AsyncEngine:
    """Statements bounded by PLACEBOT_STATEMENT_TIMEOUT_SECONDS. On SQLite a wait for the write
    lock runs in the driver's thread, where no cancellation reaches it (nor does
    `sqlite3.interrupt`), so it is kept inside the stop's bound too: a stop never waits on it."""
    timeout = settings.placebot_statement_timeout_seconds
    if settings.database_url.startswith("sqlite"):
        timeout = min(timeout, max(settings.placebot_shutdown_seconds - 2 * shutdown.MARGIN, 0.5))
    return make_engine(settings.database_url, timeout)


async def sole_server(engine: AsyncEngine) -> FileLock | None:
    """On an SQLite file, the lock that makes this the only server on it (held until exit)."""
    lock = server_lock_for(engine)
    if lock is not None and not await lock.acquire():
        raise CommandFailed(
            f"Another PlaceBot server is already running on {engine.url.database}: SQLite serves "
            "one process. Stop that one first, or set DATABASE_URL to a PostgreSQL database "
            "to run more than one server."
        )
    return lock


async def serve(
    settings: Settings,
    banner: str,
    with_worker: bool = False,
    prepare: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """The web server; with `with_worker`, the worker too, in this one process (the demo).
    `prepare` runs once this process holds the database (the demo loads its data)."""
    check_settings(settings)  # before the database is touched: a refused start changes nothing
    engine = serving_engine(settings)
    lock = await sole_server(engine)
    try:
        try:
            if prepare is not None:
                await prepare()
            if problem := await pending_message(engine):
                raise CommandFailed(problem)
        except BaseException:
            await engine.dispose()
            raise
        await _serve(settings, engine, banner, with_worker)
    finally:
        if lock is not None:
            await lock.release()


async def _serve(settings: Settings, engine: AsyncEngine, banner: str, with_worker: bool) -> None:
    stopping = shutdown.stop_requested(settings.placebot_shutdown_seconds)
    app = build_app(settings, engine)
    bound = settings.placebot_shutdown_seconds
    runner = web.AppRunner(app, access_log_class=AccessLog, shutdown_timeout=min(2.0, bound / 4))
    await runner.setup()  # from here on, cleaning the runner up disposes of the engine
    worker_task: asyncio.Task[None] | None = None
    loop = asyncio.get_running_loop()
    deadline: float | None = None  # set when a stop begins; an error before it is not bounded
    try:
        try:
            await web.TCPSite(runner, settings.host, settings.port).start()
        except OSError as error:  # e.g. the port is taken
            raise CommandFailed(
                f"Cannot listen on {settings.host}:{settings.port}: {error.strerror}. "
                "Set HOST and PORT to an address that is free."
            ) from None
        print(banner.format(url=f"http://{settings.host}:{settings.port}/"), flush=True)
        if with_worker:
            worker_task = asyncio.create_task(worker.run(engine, settings, stopping))
        await _until_stopped(stopping, worker_task)
        log.info("stopping: no new requests; finishing those in hand (%g s at most)", bound)
        deadline = loop.time() + bound - shutdown.MARGIN
        if left := await app[shutdown.GATE_KEY].close(bound - 2 * shutdown.MARGIN):
            log.warning("%d requests were still running when the time ran out", left)
        if worker_task is not None:
            await worker_task
    finally:
        if worker_task is not None and not worker_task.done():
            worker_task.cancel()
            await asyncio.gather(worker_task, return_exceptions=True)
        try:
            async with asyncio.timeout(deadline and max(deadline - loop.time(), 0.5)):
                await runner.cleanup()  # the listener, the edges' background work, the engine
        except TimeoutError:
            log.warning("background work was still running when the time ran out")
            await engine.dispose()
    log.info("stopped")


async def _until_stopped(stopping: asyncio.Event, worker_task: asyncio.Task[None] | None) -> None:
    """Until a stop is asked for; a worker that crashed in the demo raises its error here."""
    asked = asyncio.create_task(stopping.wait())
    try:
        waits = {asked, worker_task} if worker_task else {asked}
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        asked.cancel()
    if worker_task is not None and worker_task.done():
        worker_task.result()
        raise CommandFailed("the worker stopped unexpectedly")


async def run_worker(settings: Settings) -> None:
    engine = serving_engine(settings)
    try:
        if problem := await pending_message(engine):
            raise CommandFailed(problem)
        stopping = shutdown.stop_requested(settings.placebot_shutdown_seconds)
        print("PlaceBot worker is running (Ctrl+C stops it)", flush=True)
        await worker.run(engine, settings, stopping)
    finally:
        with contextlib.suppress(Exception):
            await engine.dispose()
    log.info("stopped")
