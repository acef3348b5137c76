"""Bearer tokens: each call to the register is made by one HEI through one of its tokens.

The token is read from the Authorization header only, never a query string (which lands in
access logs), and is never logged.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from adapters.register_api.problems import problem
from adapters.register_api.runtime import CLIENT, runtime
from bot.register import tokens

# Paths anyone may read: the API's description and the training feed (calendar apps send no
# header, so a feed link has to work on its own).
PUBLIC = frozenset({"/api/v1/openapi.json", "/api/v1/training", "/api/v1/training.ics"})


def _refused(message: str) -> web.Response:
    response = problem(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="placebot"'
    return response


@web.middleware
async def bearer_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in PUBLIC:
        return await handler(request)
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return _refused("Send your HEI's API token as `Authorization: Bearer <token>`.")
    async with runtime(request).context() as ctx:
        found = await tokens.authenticate(ctx, secret.strip())
    if found is None:
        return _refused("That token is not valid (unknown or revoked).")
    request[CLIENT] = found
    return await handler(request)
