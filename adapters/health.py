"""`/healthz`: the process is alive. `/readyz`: the database answers and is at head."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrate import pending_message

ENGINE_KEY: web.AppKey[AsyncEngine] = web.AppKey("engine", AsyncEngine)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    try:
        problem = await pending_message(request.app[ENGINE_KEY])
    except Exception as error:  # any database failure means "not ready", never a 500
        return web.json_response(
            {"status": "unavailable", "reason": f"database unreachable: {type(error).__name__}"},
            status=503,
        )
    if problem:
        return web.json_response({"status": "unavailable", "reason": problem}, status=503)
    return web.json_response({"status": "ready"})


def mount(app: web.Application, engine: AsyncEngine) -> None:
    app[ENGINE_KEY] = engine
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
