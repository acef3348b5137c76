"""The composition root: one aiohttp application, with each edge mounted when it is configured."""

from __future__ import annotations

import logging

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters import charts, errors, health, logs, metrics, register_api, report_links
from adapters.localchat import routes as localchat
from adapters.localchat.guard import is_loopback
from bot.chat.placebot import PlaceBot
from bot.kernel.clock import Clock
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker

log = logging.getLogger(__name__)


class ConfigurationError(Exception):
    """Settings that cannot start the server; the message names what to set."""


def check_settings(settings: Settings) -> None:
    """A half-configured adapter is a start-up error that names the missing variable."""
    pairs = (
        ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"),
        ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD"),
    )
    for first, second in pairs:
        have_first = bool(getattr(settings, first.lower()))
        have_second = bool(getattr(settings, second.lower()))
        if have_first != have_second:
            missing = second if have_first else first
            present = first if have_first else second
            raise ConfigurationError(
                f"{present} is set but {missing} is not: set both, or neither."
            )
    check_teams(settings)
    if settings.smtp_url:
        check_email(settings)
    if settings.placebot_public_url and not settings.placebot_link_secret:
        raise ConfigurationError(
            "PLACEBOT_PUBLIC_URL is set but PLACEBOT_LINK_SECRET is not: set it to a long random "
            "value (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`), the "
            "same for every process, so the links in digests and emails open."
        )
    check_local_chat(settings)


def check_local_chat(settings: Settings) -> None:
    """The local chat has no login: on an address others can reach, anyone could act as anyone."""
    if not settings.placebot_local_chat or settings.placebot_local_chat_public:
        return
    if not is_loopback(settings.host):
        raise ConfigurationError(
            f"PLACEBOT_LOCAL_CHAT is set and HOST is {settings.host!r}, which other machines can "
            "reach; the local chat has no login. Set HOST=127.0.0.1, or set "
            "PLACEBOT_LOCAL_CHAT_PUBLIC=1 as well if everyone who can reach it may act as anyone."
        )


# Channels whose client names its own `from.id` (Direct Line, which Web Chat uses): an
# activity from them cannot say who is speaking, so they cannot be served as Teams people.
SELF_NAMED_CHANNELS = frozenset({"webchat", "directline"})


def check_teams(settings: Settings) -> None:
    """Unauthenticated Teams only when asked for in so many words (`1`, with no app id), and
    only channels that vouch for who is speaking."""
    allow = settings.placebot_teams_allow_unauthenticated
    if allow not in ("", "1"):  # exactly: the mount below takes any other value as on
        raise ConfigurationError(
            f"PLACEBOT_TEAMS_ALLOW_UNAUTHENTICATED is {allow!r}: set it to 1 (local work without "
            "an app registration) or remove it."
        )
    if allow and settings.microsoft_app_id:
        raise ConfigurationError(
            "PLACEBOT_TEAMS_ALLOW_UNAUTHENTICATED is set and so is MICROSOFT_APP_ID: remove "
            "PLACEBOT_TEAMS_ALLOW_UNAUTHENTICATED (with an app id every request is authenticated)."
        )
    if not (allow or settings.microsoft_app_id):
        return
    channels = {channel.lower() for channel in settings.placebot_teams_channels}
    if not channels:
        raise ConfigurationError("PLACEBOT_TEAMS_CHANNELS is empty: set it to msteams.")
    if self_named := sorted(channels & SELF_NAMED_CHANNELS):
        raise ConfigurationError(
            f"PLACEBOT_TEAMS_CHANNELS lists {', '.join(self_named)}, whose clients name their own "
            "user ids: remove it (Teams people are served through msteams)."
        )
    if "emulator" in channels and settings.microsoft_app_id:
        raise ConfigurationError(
            "PLACEBOT_TEAMS_CHANNELS lists emulator, which is served only without "
            "MICROSOFT_APP_ID (PLACEBOT_TEAMS_ALLOW_UNAUTHENTICATED=1): remove it."
        )


def check_email(settings: Settings) -> None:
    """SMTP_URL and PLACEBOT_EMAIL_FROM must be usable before the first digest is due."""
    from email.utils import parseaddr

    from adapters.email.smtp_url import FORMS, BadSmtpUrl, parse

    try:
        parse(settings.smtp_url or "")
    except BadSmtpUrl as problem:
        raise ConfigurationError(f"SMTP_URL is not usable: {problem}. Use {FORMS}.") from None
    if "@" not in parseaddr(settings.placebot_email_from)[1]:
        raise ConfigurationError(
            "PLACEBOT_EMAIL_FROM is not an email address: "
            'use e.g. "PlaceBot <placebot@trust.nhs.uk>".'
        )


def build_app(
    settings: Settings, engine: AsyncEngine | None = None, clock: Clock | None = None
) -> web.Application:
    check_settings(settings)
    engine = engine or make_engine(settings.database_url)
    bot = PlaceBot(make_sessionmaker(engine), settings, clock)
    app = web.Application(client_max_size=localchat.MAX_BODY, middlewares=[errors.unexpected])
    health.mount(app, engine)
    metrics.mount(app, engine, settings)
    app.middlewares.insert(0, logs.request_ids)  # first: every later line carries the id
    register_api.mount(app, bot)  # always: it needs only the database
    report_links.mount(app, bot)  # what the signed links in digests and emails open
    charts.mount(app, charts.ChartLinks(bot.sessions, settings, bot.clock))  # Teams' charts
    if settings.placebot_local_chat:
        localchat.mount(app, bot)
        log.info("local chat page mounted at /")
        if not is_loopback(settings.host):
            log.warning(
                "LOCAL CHAT IS PUBLIC: PLACEBOT_LOCAL_CHAT_PUBLIC is set and HOST is %s. Anyone "
                "who can reach this server can act as anyone in the local chat.",
                settings.host,
            )
    if settings.microsoft_app_id or settings.placebot_teams_allow_unauthenticated:
        from adapters.teams import app as teams  # imported only when Teams is configured

        if not settings.microsoft_app_id:
            log.warning(
                "TEAMS ENDPOINT IS UNAUTHENTICATED: PLACEBOT_TEAMS_ALLOW_UNAUTHENTICATED is set, "
                "MICROSOFT_APP_ID is not. Anyone who can reach /api/messages can act as anyone. "
                "Use this for local work only."
            )
        teams.mount(app, bot, settings)
        log.info("Teams mounted at /api/messages")
    if settings.slack_signing_secret and settings.slack_bot_token:
        from adapters.slack import app as slack  # imported only when Slack is configured

        edge = slack.mount(app, bot, settings)
        if settings.slack_app_token:
            app.cleanup_ctx.append(slack.socket_mode(edge, settings.slack_app_token))
        log.info(
            "Slack mounted at /slack/events%s",
            " and Socket Mode" if settings.slack_app_token else "",
        )

    async def dispose(_app: web.Application) -> None:
        await engine.dispose()

    app.on_cleanup.append(dispose)
    return app
