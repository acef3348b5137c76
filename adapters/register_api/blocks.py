"""`GET/POST /api/v1/blocks`: an HEI's placement blocks, which clinicians then see in chat,
each with the places offered against it and the teams' answers counted."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from adapters.register_api.limits import read_json
from adapters.register_api.placement_requests import caller_hei
from adapters.register_api.problems import problem
from adapters.register_api.runtime import runtime
from bot.blocks import service as blocks
from bot.blocks.answers import AnswerCounts, answer_counts
from bot.blocks.demand import BlockDemand, block_demands
from bot.kernel import professions
from bot.kernel.context import Context
from bot.kernel.errors import FieldErrors, UserError
from bot.kernel.numbers import json_whole_number
from bot.kernel.text import clean_json
from storage.tables import PlacementBlock

_DATES = ("start_date", "end_date", "offers_close")


def block_json(
    block: PlacementBlock, demand: BlockDemand | None = None, answers: AnswerCounts | None = None
) -> dict[str, Any]:
    """A block, with places offered against it (each offer counted once) and how many teams
    answered which way: offering, maybe, no capacity, silent."""
    places = demand.places if demand else 0
    return {
        "ref": block.ref,
        "hei": block.hei.name,
        "profession": block.profession,
        "cohort": block.cohort,
        "start_date": block.start_date.isoformat(),
        "end_date": block.end_date.isoformat(),
        "students": block.students,
        "offers_close": block.offers_close.isoformat(),
        "created_at": block.created_at.isoformat(),
        "places_offered": places,
        "short_by": max(0, block.students - places),
        "answers": (answers or AnswerCounts()).as_dict(),
    }


async def _with_demand(ctx: Context, found: list[PlacementBlock]) -> list[dict[str, Any]]:
    ids = [block.id for block in found]
    demand = await block_demands(ctx.session, PlacementBlock.id.in_(ids)) if ids else None
    demands = {b.block_id: b for b in demand.blocks} if demand else {}
    counts = await answer_counts(ctx.session, list(demands.values()))
    return [block_json(block, demands.get(block.id), counts.get(block.id)) for block in found]


def _new_block(body: dict[str, Any]) -> blocks.NewBlock:
    """The body as a NewBlock, or FieldErrors naming every field that is wrong."""
    errors: dict[str, str] = {}
    days: dict[str, date] = {}
    for name in _DATES:
        try:
            days[name] = date.fromisoformat(body[name])
        except (KeyError, TypeError, ValueError):
            errors[name] = f"{name} is a date like 2027-01-13."
    students = json_whole_number(body.get("students"))
    if students is None:
        errors["students"] = "students is a whole number of students to place."
    cohort = body.get("cohort")
    if not isinstance(cohort, str) or not cohort.strip():
        errors["cohort"] = "cohort names the group, e.g. “PT year 2 block 2”."
    profession = body.get("profession")
    code = professions.spelled(profession) if isinstance(profession, str) else None
    if code is None:
        errors["profession"] = f"profession is one of {professions.CODES_HINT}."
    if errors or code is None or students is None or not isinstance(cohort, str):
        raise FieldErrors(errors)
    return blocks.NewBlock(
        profession=code.code,
        cohort=cohort.strip(),
        start=days["start_date"],
        end=days["end_date"],
        students=students,
        offers_close=days["offers_close"],
    )


def _only_invisible(sent: object, cleaned: object) -> bool:
    """Text the schema takes (something not a space) that is all controls and invisible marks,
    which PlaceBot removes from every text: well formed, but nothing to show."""
    return (
        isinstance(sent, str)
        and bool(sent.strip())
        and isinstance(cleaned, str)
        and not cleaned.strip()
    )


async def create(request: web.Request) -> web.Response:
    sent = await read_json(request)
    body = clean_json(sent)
    if _only_invisible(sent.get("cohort"), body.get("cohort")):
        return problem(422, "cohort has no visible characters; name the group, e.g. “PT year 2”.")
    new = _new_block(body)
    async with runtime(request).context() as ctx:
        hei = await caller_hei(ctx, request)
        try:
            block = await blocks.add_block(ctx, new, hei)
        except UserError as broken:
            if type(broken) is not UserError or broken.field:  # 404, 403; a field's bounds
                raise
            # Well formed, but against a rule the document states in words (dates in order,
            # offers closing today or later): 422, where 400 is a body that is not the schema.
            return problem(422, broken.message)
        block.hei = hei
        [answer] = await _with_demand(ctx, [block])
    return web.json_response(answer, status=201)


async def listing(request: web.Request) -> web.Response:
    async with runtime(request).context() as ctx:
        hei = await caller_hei(ctx, request)
        items = await _with_demand(ctx, await blocks.blocks_of(ctx, hei))
    return web.json_response({"items": items})


def routes() -> list[web.RouteDef]:
    return [web.get("/blocks", listing), web.post("/blocks", create)]
