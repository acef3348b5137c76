"""The last word on anything unexpected: a short 500 that gives the person a reference to quote,
and one log line carrying that reference and the traceback. A traceback never goes in a body:
it tells an attacker how the server is built and tells the person nothing."""

from __future__ import annotations

import logging
import secrets

from aiohttp import web
from aiohttp.typedefs import Handler

log = logging.getLogger(__name__)

REFERENCE_HEADER = "X-Reference"


def logged_reference(request: web.Request) -> str:
    """Log the exception being handled once, under a new reference, and return the reference."""
    reference = secrets.token_hex(4).upper()
    log.exception(
        "unexpected error, reference %s, on %s %s", reference, request.method, request.path
    )
    return reference


def sorry(reference: str) -> str:
    return (
        f"Something went wrong on our side (reference {reference}). Please try again in a "
        "minute; if it happens again, send the reference to your PlaceBot administrator."
    )


@web.middleware
async def unexpected(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        reference = logged_reference(request)
        return web.Response(
            status=500, text=sorry(reference), headers={REFERENCE_HEADER: reference}
        )
