"""`/api/v1/placements/{ref}/requests`: an HEI asks for places and sees its own requests only."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from adapters.register_api.limits import read_json
from adapters.register_api.runtime import client, runtime
from bot.kernel.context import Context
from bot.kernel.errors import UserError
from bot.kernel.numbers import json_whole_number
from bot.kernel.text import clean_json
from bot.register import queries as register_queries
from bot.requests import service as placement_requests
from storage.tables import Organisation, PlacementRequest


def request_json(request: PlacementRequest, offer_ref: str) -> dict[str, Any]:
    return {
        "id": request.id,
        "placement": offer_ref,
        "hei": request.hei.name,
        "students": request.students,
        "note": request.note,
        "status": request.status,
        "created_at": request.created_at.isoformat(),
        "decided_at": request.decided_at.isoformat() if request.decided_at else None,
    }


async def caller_hei(ctx: Context, request: web.Request) -> Organisation:
    """The calling token's HEI."""
    hei = await ctx.session.get(Organisation, client(request).hei_id)
    if hei is None:
        raise web.HTTPUnauthorized()
    return hei


async def create(request: web.Request) -> web.Response:
    body = clean_json(await read_json(request), multi_line_keys={"note"})
    students, note = json_whole_number(body.get("students")), body.get("note", "")
    if students is None:
        raise UserError('students is a whole number, e.g. {"students": 2}.', field="students")
    if note is None:
        note = ""
    if not isinstance(note, str):
        raise UserError("note is text.", field="note")
    ref = request.match_info["ref"]
    async with runtime(request).context() as ctx:
        hei = await caller_hei(ctx, request)
        made = await placement_requests.request_places(ctx, hei, ref, students, note)
        made.hei = hei
        answer = request_json(made, ref.strip().upper())
    return web.json_response(answer, status=201)


async def mine(request: web.Request) -> web.Response:
    async with runtime(request).context() as ctx:
        hei = await caller_hei(ctx, request)
        await register_queries.placement(ctx, request.match_info["ref"])  # 404 like the record
        found = await placement_requests.requests_of(ctx, hei, request.match_info["ref"])
        items = [request_json(made, ref) for made, ref in found]
    return web.json_response({"items": items})


def routes() -> list[web.RouteDef]:
    return [
        web.post("/placements/{ref}/requests", create),
        web.get("/placements/{ref}/requests", mine),
    ]
