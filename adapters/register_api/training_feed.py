"""`GET /api/v1/training` and `/training.ics`: upcoming educator training for anyone's calendar.

Calendar apps subscribe to a URL and send no token, so the feed is public: it holds only what
organisers publish (titles, times, booking links).
"""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp import web

from adapters.register_api.limits import page_size
from adapters.register_api.placements import not_modified
from adapters.register_api.runtime import runtime
from bot.kernel import links, professions
from bot.training import catalogue as training
from bot.training.events import TrainingData, to_ics
from storage.tables import TrainingEvent


def _query(request: web.Request) -> training.TrainingQuery:
    wanted = request.query.get("profession")
    return training.TrainingQuery(
        profession=professions.resolve_spelled(wanted).code if wanted is not None else None,
        limit=page_size(request),
    )


def event_json(event: TrainingEvent) -> dict[str, Any]:
    return {
        "uid": event.uid,
        "title": event.title,
        "organiser": event.organiser,
        "professions": professions.split_codes(event.professions),
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "mode": event.mode,
        "location": event.location,
        "booking": event.booking if links.is_safe(event.booking) else None,
        "booking_note": event.booking_note,
    }


async def _events(request: web.Request) -> list[TrainingEvent]:
    async with runtime(request).context() as ctx:
        return await training.upcoming(ctx, _query(request))


async def as_json(request: web.Request) -> web.Response:
    return web.json_response({"items": [event_json(event) for event in await _events(request)]})


async def as_ics(request: web.Request) -> web.Response:
    api = runtime(request)
    zone = api.settings.timezone
    calendar = to_ics(
        TrainingData(
            uid=event.uid,
            title=event.title,
            organiser=event.organiser,
            professions=tuple(professions.split_codes(event.professions)),
            starts_at=event.starts_at.astimezone(zone),  # local times with a VTIMEZONE
            ends_at=event.ends_at.astimezone(zone),
            mode=event.mode,
            location=event.location,
            booking=event.booking,
            booking_note=event.booking_note,
            resources=event.resources,
            changed_at=event.updated_at,
        )
        for event in await _events(request)
    )
    etag = '"' + hashlib.sha256(calendar).hexdigest()[:32] + '"'
    if (unchanged := not_modified(request, etag)) is not None:
        return unchanged
    return web.Response(
        body=calendar,
        content_type="text/calendar",
        charset="utf-8",
        headers={"ETag": etag, "Content-Disposition": 'inline; filename="training.ics"'},
    )


def routes() -> list[web.RouteDef]:
    return [web.get("/training", as_json), web.get("/training.ics", as_ics)]
