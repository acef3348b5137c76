"""Bearer tokens: each call to the register is made by one HEI through one of its tokens.

The token is read from the Authorization header only, never a query string (which lands in
access logs), and is never logged. Failed authentications count per client address: past
PLACEBOT_API_AUTH_FAILURES_PER_MINUTE the address gets 429 and its tokens are not even checked,
so tokens cannot be guessed at speed (nor the database kept busy checking them).
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from adapters.register_api.limits import LIMITS, address, too_many
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
    failures, caller = request.app[LIMITS].auth_failures, address(request)
    if wait := await failures.over(caller):
        return too_many(wait, "Too many failed sign-ins from this address; wait and try again.")
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        await failures.take(caller)
        return _refused("Send your HEI's API token as `Authorization: Bearer <token>`.")
    async with runtime(request).context() as ctx:
        found = await tokens.authenticate(ctx, secret.strip())
    if found is None:
        await failures.take(caller)
        return _refused("That token is not valid (unknown or revoked).")
    request[CLIENT] = found
    return await handler(request)
