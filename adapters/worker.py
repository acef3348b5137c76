"""The worker's composition root: the channels that are configured, the leadership, the jobs."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters import metrics
from adapters.localchat.channel import LocalChannel
from adapters.server import check_settings
from adapters.shutdown import MARGIN
from bot import jobs
from bot.chat.placebot import PlaceBot
from bot.delivery.channels import Channel
from bot.kernel.clock import Clock
from bot.kernel.jobs import JobContext
from bot.runtime.leadership import leadership_for
from bot.runtime.worker import Worker
from config.settings import Settings
from storage.engine import make_sessionmaker

log = logging.getLogger(__name__)


def channels(bot: PlaceBot, settings: Settings) -> dict[str, Channel]:
    """Every channel the settings allow; a person on an unconfigured one is parked, not lost."""
    found: dict[str, Channel] = {"local": LocalChannel(bot.sessions)}
    if settings.slack_signing_secret and settings.slack_bot_token:
        from adapters.slack.channel import SlackChannel

        found["slack"] = SlackChannel(bot.sessions, settings)
    if settings.microsoft_app_id or settings.placebot_teams_allow_unauthenticated:
        from adapters.teams.app import TeamsEdge

        found["teams"] = TeamsEdge(bot, settings)
    if settings.smtp_url:
        from adapters.email.channel import EmailChannel

        found["email"] = EmailChannel(bot.sessions, settings, bot.clock)
    return found


def build_worker(engine: AsyncEngine, settings: Settings, clock: Clock | None = None) -> Worker:
    check_settings(settings)
    clock = clock or Clock(zone=settings.timezone)
    sessions = make_sessionmaker(engine)
    bot = PlaceBot(sessions, settings, clock)
    found = channels(bot, settings)
    log.info("worker channels: %s", ", ".join(sorted(found)))
    return Worker(
        JobContext(sessions, clock, settings),
        leadership_for(engine),
        found,
        jobs.schedules(settings),
    )


async def run(
    engine: AsyncEngine, settings: Settings, stopping: asyncio.Event | None = None
) -> None:
    """Until `stopping` is set or this is cancelled. A stop gives back the outbox rows claimed
    and not yet tried and releases the schedule lock, within PLACEBOT_SHUTDOWN_SECONDS."""
    worker = build_worker(engine, settings)
    scraped = await serve_metrics(engine, settings)
    running = asyncio.create_task(worker.run(), name="worker")
    asked = asyncio.create_task((stopping or asyncio.Event()).wait())
    try:
        await asyncio.wait({running, asked}, return_when=asyncio.FIRST_COMPLETED)
        if not running.done():
            log.info("worker stopping: giving back its claims and the schedule lock")
            worker.stop()
            bound = settings.placebot_shutdown_seconds - 2 * MARGIN
            try:
                async with asyncio.timeout(max(bound, 0.5)):
                    await running  # on time out, cancelled: claims in hand still go back
            except TimeoutError:
                log.warning("the worker's sends in hand outlasted the shutdown bound")
        else:
            running.result()
    except asyncio.CancelledError:
        log.info("worker stopping")
        raise
    finally:
        asked.cancel()
        if not running.done():
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        for channel in worker.sender.channels.values():
            if close := getattr(channel, "close", None):
                with contextlib.suppress(Exception):
                    await close()
        if scraped is not None:
            await scraped.cleanup()


async def serve_metrics(engine: AsyncEngine, settings: Settings) -> web.AppRunner | None:
    """The worker's own `/metrics` on PLACEBOT_METRICS_PORT (its sends and schedule runs are
    counted in this process, not the web's), behind the same token; None when no port is set."""
    if not settings.placebot_metrics_port:
        return None
    app = web.Application()
    metrics.mount(app, engine, settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.placebot_metrics_port).start()
    log.info("worker metrics on port %d", settings.placebot_metrics_port)
    return runner
