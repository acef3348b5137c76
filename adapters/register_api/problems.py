"""Errors as JSON: a sentence saying what was wrong, with the status that fits. Never a trace."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy.orm.exc import StaleDataError

from adapters import errors
from bot.kernel.errors import Conflict, FieldErrors, NotAllowed, NotFound, StaleVersion, UserError


def problem(status: int, message: str, **extra: object) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


def _status(error: UserError) -> int:
    match error:
        case NotFound():
            return 404
        case NotAllowed():
            return 403
        case Conflict() | StaleVersion():
            return 409
    return 400


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except UserError as error:
        extra: dict[str, object] = {"field": error.field} if error.field else {}
        if isinstance(error, FieldErrors):
            extra["fields"] = error.errors
        return problem(_status(error), error.message, **extra)
    except StaleDataError:
        return problem(409, "The record changed at the same moment; please try again.")
    except web.HTTPException as error:
        if error.status < 400 or error.content_type == "application/json":
            raise
        response = problem(error.status, error.reason)
        if "Allow" in error.headers:  # a 405 says which methods the path takes (RFC 9110)
            response.headers["Allow"] = error.headers["Allow"]
        return response
    except Exception:
        reference = errors.logged_reference(request)
        response = problem(500, errors.sorry(reference), reference=reference)
        response.headers[errors.REFERENCE_HEADER] = reference
        return response
