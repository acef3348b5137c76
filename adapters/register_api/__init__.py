"""The register API for HEIs (DESIGN.md, "HTTP interface"), mounted at /api/v1 on the server."""

from __future__ import annotations

from aiohttp import web

from adapters.register_api import (
    auth,
    blocks,
    limits,
    openapi,
    placement_requests,
    placements,
    problems,
    training_feed,
)
from adapters.register_api.runtime import RUNTIME, RegisterApi
from bot.chat.placebot import PlaceBot

PREFIX = "/api/v1"


def mount(app: web.Application, bot: PlaceBot) -> None:
    """Mount the API on `app`; it needs only the database, so it is always there."""
    api = web.Application(
        middlewares=[
            problems.problems,
            limits.plain_query,
            auth.bearer_auth,
            limits.rate_limit,
        ]
    )
    runtime = RegisterApi(bot.sessions, bot.settings, bot.clock)
    api[RUNTIME] = runtime
    api[limits.LIMITS] = limits.Limits.from_settings(bot.settings, bot.sessions)
    api.add_routes(placements.routes())
    api.add_routes(placement_requests.routes())
    api.add_routes(blocks.routes())
    api.add_routes(training_feed.routes())
    api.add_routes(openapi.routes())
    app.add_subapp(PREFIX, api)
