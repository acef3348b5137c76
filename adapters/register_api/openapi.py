"""`GET /api/v1/openapi.json`: the API's OpenAPI 3.1 document, written to match the handlers.

Schemathesis checks the server against it (tests/adapters/register_api/test_register_api_schema.py).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from adapters.register_api.runtime import runtime
from bot.kernel.professions import SPELLINGS
from config.professions import PROFESSION_CODES, PROFESSIONS
from config.settings import Settings
from storage.lifecycle import PUBLIC, RequestStatus

REF_PATTERN = r"^[A-Za-z]{2}-[0-9]{4}-[0-9]{4,}$"
_STATUS = "(?:" + "|".join(status.value for status in PUBLIC) + ")"
# What the server reads in `status`: statuses joined by commas, spaces around them ignored.
STATUS_PATTERN = rf"^ *{_STATUS}? *(?:, *{_STATUS}? *)*$"
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"  # base64url without padding, as `next_cursor` gives
# Its own format: base64url of the JSON array [last change as ISO 8601 with offset, record id].
CURSOR_FORMAT = "placebot-cursor"
# An instant with its offset, as `datetime.fromisoformat` reads it and as the server writes it.
INSTANT_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})$"
)


def _profession(description: str) -> dict[str, Any]:
    """Every spelling the server takes, with what each means in the description."""
    said = "; ".join(
        f"{p.code}: " + ", ".join(s for s, q in SPELLINGS.items() if q is p and s != p.code)
        for p in PROFESSIONS
    )
    return {
        "type": "string",
        "enum": list(SPELLINGS),
        "description": f"{description}: a code or an alias, exactly as listed ({said})",
    }


def _text(nullable: bool = False, **extra: Any) -> dict[str, Any]:
    return {"type": ["string", "null"] if nullable else "string", **extra}


_PLACEMENT_TYPES: dict[str, dict[str, Any]] = {
    "ref": _text(),
    "profession": _text(enum=list(PROFESSION_CODES)),
    "status": _text(enum=[status.value for status in PUBLIC]),
    "start_date": _text(format="date"),
    "end_date": _text(format="date"),
    "weeks": {"type": "integer", "minimum": 0},
    "capacity": {"type": "integer", "minimum": 1},
    "provider": _text(True),
    "provider_ods_code": _text(True),
    "site": _text(True),
    "site_ods_code": _text(True),
    "team": _text(True),
    "place": _text(),
    "setting": _text(True),
    "supervision_model": _text(True),
    "student_level": _text(True),
    "educator": _text(True),
    "block": _text(True),
    "notes": _text(True),
    "release_at": _text(format="date-time"),
    "version": {"type": "integer", "minimum": 1},
    "created_at": _text(format="date-time"),
    "updated_at": _text(format="date-time"),
}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    said = {
        400: "the request is malformed; `error` says how",
        401: "no token, or an unknown or revoked one",
        404: "no such record",
        409: "the record's state does not allow it (e.g. no places left)",
        413: "the body is too large",
        422: "well formed, but against the rules in the summary (e.g. dates out of order)",
        429: "too many requests; see Retry-After",
    }
    answers = {str(status): _json(_ref("Error"), said[status]) for status in statuses}
    if 429 in statuses:
        answers["429"]["headers"] = {
            "Retry-After": {"schema": {"type": "string"}, "required": True}
        }
    return answers


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema, "description": description}


def document(settings: Settings) -> dict[str, Any]:
    page_max = settings.placebot_api_page_size_max
    limit = _query(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": page_max},
        f"page size (default {settings.placebot_api_page_size})",
    )
    ref = {
        "name": "ref",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": REF_PATTERN},
        "description": "the offer's reference, e.g. PL-2027-0042",
    }
    if_none_match = {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}}
    etag = {"ETag": {"schema": {"type": "string"}, "required": True}}
    placement_filters = [
        _query("profession", _profession("the profession"), "code or name, e.g. PT or physio"),
        _query(
            "status",
            {"type": "string", "pattern": STATUS_PATTERN},
            "comma-separated statuses; default every status, withdrawn and expired included",
        ),
        _query("from", {"type": "string", "format": "date"}, "placements ending on or after"),
        _query("to", {"type": "string", "format": "date"}, "placements starting on or before"),
        _query("site", {"type": "string"}, "site name or ODS site code"),
        _query("block", {"type": "string"}, "placement block reference"),
        _query(
            "updated_since",
            {"type": "string", "format": "date-time", "pattern": INSTANT_PATTERN},
            "only records changed after this instant, with its offset, e.g. "
            "2026-11-23T10:00:00Z (use `next_updated_since`)",
        ),
        _query(
            "cursor",
            {"type": "string", "format": CURSOR_FORMAT},
            "exactly the `next_cursor` of the previous page (opaque; any other is 400)",
        ),
        _query("format", {"type": "string", "enum": ["json", "csv"]}, "or Accept: text/csv"),
        _query(
            "bom",
            {"type": "string", "enum": ["0", "1"]},
            "1: the CSV begins with a UTF-8 byte-order mark, for Excel on Windows",
        ),
        limit,
        if_none_match,
    ]
    request_body = {
        "required": True,
        "content": {
            "application/json": {
                "schema": _object(
                    {
                        "students": {"type": "integer", "minimum": 1, "maximum": 30},
                        "note": {"type": ["string", "null"], "maxLength": 2000},
                    },
                    ["students"],
                )
            }
        },
    }
    block_body = {
        "required": True,
        "content": {"application/json": {"schema": _ref("NewBlock")}},
    }
    bearer = [{"bearer": []}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "PlaceBot register API",
            "version": "1",
            "description": "The placement register for HEIs: pull offers (JSON or CSV) with "
            "incremental sync, request places, post placement blocks, subscribe to training.",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": _object({"error": {"type": "string"}}, ["error"]),
                "Placement": _object(_PLACEMENT_TYPES),
                "PlacementPage": _object(
                    {
                        "items": {"type": "array", "items": _ref("Placement")},
                        "next_cursor": _text(True),
                        "next_updated_since": _text(True, format="date-time"),
                    }
                ),
                "PlacementRequest": _object(
                    {
                        "id": {"type": "integer"},
                        "placement": _text(),
                        "hei": _text(),
                        "students": {"type": "integer", "minimum": 1},
                        "note": _text(True),
                        "status": _text(enum=[status.value for status in RequestStatus]),
                        "created_at": _text(format="date-time"),
                        "decided_at": _text(True, format="date-time"),
                    }
                ),
                "NewBlock": _object(
                    {
                        "profession": _profession("the block's profession"),
                        "cohort": _text(minLength=1, maxLength=200, pattern=r"\S"),
                        "start_date": _text(format="date"),
                        "end_date": _text(format="date"),
                        "students": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": settings.placebot_block_students_max,
                        },
                        "offers_close": _text(format="date"),
                    }
                ),
                "Block": _object(
                    {
                        "ref": _text(),
                        "hei": _text(),
                        "profession": _text(),
                        "cohort": _text(),
                        "start_date": _text(format="date"),
                        "end_date": _text(format="date"),
                        "students": {"type": "integer"},
                        "offers_close": _text(format="date"),
                        "created_at": _text(format="date-time"),
                        "places_offered": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "places on live offers counted against this block, "
                            "each offer once: the block it names, else its best-fitting block",
                        },
                        "short_by": {"type": "integer", "minimum": 0},
                        "answers": _object(
                            {
                                state: {"type": "integer", "minimum": 0}
                                for state in ("offering", "maybe", "no_capacity", "silent")
                            }
                        ),
                    }
                ),
                "TrainingEvent": _object(
                    {
                        "uid": _text(),
                        "title": _text(),
                        "organiser": _text(),
                        "professions": {"type": "array", "items": {"type": "string"}},
                        "starts_at": _text(format="date-time"),
                        "ends_at": _text(format="date-time"),
                        "mode": _text(),
                        "location": _text(True),
                        "booking": _text(True),
                        "booking_note": _text(True),
                    }
                ),
            },
        },
        "paths": {
            "/api/v1/placements": {
                "get": {
                    "summary": "The register: a page of records in change order, or all as CSV",
                    "security": bearer,
                    "parameters": placement_filters,
                    "responses": {
                        "200": {
                            "description": "a page (JSON) or every matching record (CSV)",
                            "headers": etag,
                            "content": {
                                "application/json": {"schema": _ref("PlacementPage")},
                                "text/csv": {"schema": {"type": "string"}},
                            },
                        },
                        "304": {"description": "unchanged since the ETag given"},
                        **_errors(400, 401, 429),
                    },
                }
            },
            "/api/v1/placements/{ref}": {
                "get": {
                    "summary": "One record",
                    "security": bearer,
                    "parameters": [ref, if_none_match],
                    "responses": {
                        "200": {**_json(_ref("Placement"), "the record"), "headers": etag},
                        "304": {"description": "unchanged since the ETag given"},
                        **_errors(400, 401, 404, 429),
                    },
                }
            },
            "/api/v1/placements/{ref}/requests": {
                "get": {
                    "summary": "Your HEI's requests for this offer (never another HEI's)",
                    "security": bearer,
                    "parameters": [ref],
                    "responses": {
                        "200": _json(
                            _object(
                                {"items": {"type": "array", "items": _ref("PlacementRequest")}}
                            ),
                            "your requests",
                        ),
                        **_errors(400, 401, 404, 429),
                    },
                },
                "post": {
                    "summary": "Request places: held until release, then first come first served",
                    "security": bearer,
                    "parameters": [ref],
                    "requestBody": request_body,
                    "responses": {
                        "201": _json(_ref("PlacementRequest"), "held or pending"),
                        **_errors(400, 401, 404, 409, 413, 429),
                    },
                },
            },
            "/api/v1/blocks": {
                "get": {
                    "summary": "Your HEI's placement blocks",
                    "security": bearer,
                    "responses": {
                        "200": _json(
                            _object({"items": {"type": "array", "items": _ref("Block")}}),
                            "your blocks",
                        ),
                        **_errors(401, 429),
                    },
                },
                "post": {
                    "summary": "Add a placement block; clinicians see it in chat",
                    "description": "The block ends on or after its start; offers close today "
                    "or later, and on or before the start; the cohort has a visible character "
                    "(controls and invisible marks are removed from all text); an HEI has at "
                    f"most {settings.placebot_blocks_per_window_max} blocks of one profession "
                    "overlapping at once; otherwise 422.",
                    "security": bearer,
                    "requestBody": block_body,
                    "responses": {
                        "201": _json(_ref("Block"), "the new block"),
                        **_errors(400, 401, 413, 422, 429),
                    },
                },
            },
            "/api/v1/training": {
                "get": {
                    "summary": "Upcoming educator training (no token needed)",
                    "parameters": [
                        _query("profession", _profession("the profession"), "code or name"),
                        limit,
                    ],
                    "responses": {
                        "200": _json(
                            _object({"items": {"type": "array", "items": _ref("TrainingEvent")}}),
                            "soonest first",
                        ),
                        **_errors(400, 429),
                    },
                }
            },
            "/api/v1/training.ics": {
                "get": {
                    "summary": "The same as iCalendar, with VTIMEZONE Europe/London",
                    "parameters": [
                        _query("profession", _profession("the profession"), "code or name"),
                        limit,
                        if_none_match,
                    ],
                    "responses": {
                        "200": {
                            "description": "an iCalendar feed",
                            "content": {"text/calendar": {"schema": {"type": "string"}}},
                        },
                        "304": {"description": "unchanged since the ETag given"},
                        **_errors(400, 429),
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.1"}},
                }
            },
        },
    }


async def serve(request: web.Request) -> web.Response:
    return web.json_response(document(runtime(request).settings))


def routes() -> list[web.RouteDef]:
    return [web.get("/openapi.json", serve)]
