"""`/healthz`: the process is alive. `/readyz`: the database answers, is at head, and this process
is not stopping (from the first moment of a stop it answers 503)."""

from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters import shutdown
from storage.migrate import pending_message

ENGINE_KEY: web.AppKey[AsyncEngine] = web.AppKey("engine", AsyncEngine)
# A probe wants an answer quickly: a database that does not answer within this is not ready.
READY_TIMEOUT = 2.0


def unavailable(reason: str) -> web.Response:
    return web.json_response({"status": "unavailable", "reason": reason}, status=503)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    if request.app[shutdown.GATE_KEY].stopping:
        return unavailable("stopping")
    try:
        async with asyncio.timeout(READY_TIMEOUT):
            problem = await pending_message(request.app[ENGINE_KEY])
    except TimeoutError:
        return unavailable(f"database did not answer within {READY_TIMEOUT:g} s")
    except Exception as error:  # any database failure means "not ready", never a 500
        return unavailable(f"database unreachable: {type(error).__name__}")
    if problem:
        return unavailable(problem)
    return web.json_response({"status": "ready"})


def mount(app: web.Application, engine: AsyncEngine) -> None:
    app[ENGINE_KEY] = engine
    shutdown.mount(app)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
