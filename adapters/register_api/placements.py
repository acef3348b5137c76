"""`GET /api/v1/placements` and `/placements/{ref}`: the register, as JSON pages or CSV."""

from __future__ import annotations

import hashlib

from aiohttp import web

from adapters.register_api import params
from adapters.register_api.limits import page_size
from adapters.register_api.runtime import runtime
from bot.kernel import professions
from bot.kernel.errors import UserError
from bot.register import queries as register_queries
from bot.register.csv import stream as register_csv
from bot.register.queries import PlacementQuery


def _query(request: web.Request) -> PlacementQuery:
    q = request.query
    statuses = tuple(s.strip(" ") for value in q.getall("status", []) for s in value.split(","))
    return PlacementQuery(
        profession=professions.resolve_spelled(q["profession"]).code if "profession" in q else None,
        statuses=tuple(s for s in statuses if s),
        ends_from=params.day(request, "from"),
        starts_to=params.day(request, "to"),
        site=q.get("site") or None,
        block=q.get("block") or None,
        updated_since=params.instant(request, "updated_since"),
        after=params.cursor(request),
        limit=page_size(request),
    )


def wants_csv(request: web.Request) -> bool:
    chosen = request.query.get("format")
    if chosen is not None:
        if chosen not in ("json", "csv"):
            raise UserError("format is json or csv.", field="format")
        return chosen == "csv"
    return "text/csv" in request.headers.get("Accept", "")


UTF8_BOM = b"\xef\xbb\xbf"  # Excel on Windows reads a CSV as UTF-8 only when it begins so


def wants_bom(request: web.Request) -> bool:
    chosen = request.query.get("bom", "0")
    if chosen not in ("0", "1"):
        raise UserError("bom is 1 (for Excel on Windows) or 0.", field="bom")
    return chosen == "1"


def _etag(*parts: str) -> str:
    return 'W/"' + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32] + '"'


def not_modified(request: web.Request, etag: str) -> web.Response | None:
    asked = request.headers.get("If-None-Match", "")
    if etag in (tag.strip() for tag in asked.split(",")) or asked.strip() == "*":
        return web.Response(status=304, headers={"ETag": etag})
    return None


async def list_placements(request: web.Request) -> web.StreamResponse:
    query, as_csv, bom = _query(request), wants_csv(request), wants_bom(request)
    api = runtime(request)
    async with api.context() as ctx:
        state = await register_queries.register_state(ctx)
        etag = _etag(state, "csv" if as_csv else "json", request.query_string)
        if (unchanged := not_modified(request, etag)) is not None:
            return unchanged
        if not as_csv:
            page = await register_queries.placements_page(ctx, query)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if not as_csv:
        since = page.next_updated_since
        body = {
            "items": page.records,
            "next_cursor": page.next_cursor,
            "next_updated_since": since.isoformat() if since else None,
        }
        return web.json_response(body, headers=headers)
    return await _stream_csv(request, query, headers, bom)


async def _stream_csv(
    request: web.Request, query: PlacementQuery, headers: dict[str, str], bom: bool
) -> web.StreamResponse:
    """Every matching record, written by the database and streamed as it comes."""
    response = web.StreamResponse(headers=headers)
    response.content_type = "text/csv"
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="placements.csv"'
    await response.prepare(request)
    if bom:
        await response.write(UTF8_BOM)
    await register_csv.write_csv(runtime(request).sessions.begin, query, response.write)
    await response.write_eof()
    return response


async def one_placement(request: web.Request) -> web.Response:
    async with runtime(request).context() as ctx:
        record = await register_queries.placement(ctx, request.match_info["ref"])
    etag = _etag(record["ref"], str(record["version"]), record["updated_at"])
    if (unchanged := not_modified(request, etag)) is not None:
        return unchanged
    return web.json_response(record, headers={"ETag": etag, "Cache-Control": "no-cache"})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/placements", list_placements),
        web.get("/placements/{ref}", one_placement),
    ]
