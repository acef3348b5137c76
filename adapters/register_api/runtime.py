"""What every register API handler needs: transactions that carry an `api` Context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.kernel.clock import Clock
from bot.kernel.context import Context
from bot.register.tokens import ApiClient
from config.settings import Settings


@dataclass
class RegisterApi:
    sessions: async_sessionmaker[AsyncSession]
    settings: Settings
    clock: Clock

    @asynccontextmanager
    async def context(self) -> AsyncIterator[Context]:
        """One transaction. API calls act for an HEI, not a person: the audit names the edge."""
        async with self.sessions.begin() as session:
            yield Context(session, None, self.clock, self.settings, "api")


RUNTIME: web.AppKey[RegisterApi] = web.AppKey("register_api", RegisterApi)
CLIENT: web.RequestKey[ApiClient] = web.RequestKey("register_api.client", ApiClient)


def runtime(request: web.Request) -> RegisterApi:
    return request.app[RUNTIME]


def client(request: web.Request) -> ApiClient:
    found = request.get(CLIENT)
    if not isinstance(found, ApiClient):
        raise web.HTTPUnauthorized()  # a route left unprotected by mistake fails closed
    return found
