"""Junk never gives a 500: forged cursors, dates at the ends of the calendar, timestamps that are
not numbers, deeply nested JSON and signed Slack payloads of the wrong shape are each refused
with a 4xx that says what was wrong (401 for a Slack signature), nothing is stored, and no
response body ever carries a traceback. Anything truly unexpected is a short 500 with a
reference, logged once."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters import errors
from adapters.server import build_app
from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.tables import InboundReceipt, PlacementBlock, PlacementOffer
from tests.conftest import bearer, make_token
from tests.support import slack_wire as wire
from tests.support.slack_rig import SlackRig

NOTTINGHAM = "University of Nottingham"
NESTED = "[" * 6_000 + "]" * 6_000  # 12 KB of brackets
TRACE_WORDS = ("Traceback", 'File "', "Error:", "line ")


def cursor_of(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


FORGED_CURSORS = [
    cursor_of(["2026-11-23T10:00:00+00:00", 9999999999999999999]),
    cursor_of(["2026-11-23T10:00:00+00:00", -9223372036854775809]),
    cursor_of(["2026-11-23T10:00:00+00:00", True]),
    cursor_of(["2026-11-23T10:00:00+00:00", 0]),
    cursor_of(["0001-01-01T00:00:00+14:00", 1]),
    cursor_of(["9999-12-31T23:59:59-14:00", 1]),
    cursor_of({"a": 1}),
    cursor_of("x"),
    "true",
    "%%%",
    "x" * 5000,
]
EDGE_INSTANTS = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-13-01T00:00Z"]


def assert_no_trace(text: str) -> None:
    for word in TRACE_WORDS:
        assert word not in text, text


async def count(engine: AsyncEngine, table: type) -> int:
    async with make_sessionmaker(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture
async def token(bot: PlaceBot) -> dict[str, str]:
    return bearer(await make_token(bot, NOTTINGHAM))


@pytest.fixture
async def local_api(
    bot: PlaceBot, settings: Settings, clock: FixedClock
) -> AsyncIterator[TestClient]:
    """The server with the register API and the local chat, from loopback."""
    on = settings.model_copy(update={"placebot_local_chat": True})
    app = build_app(on, make_engine(on.database_url), clock)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


@pytest.mark.parametrize("cursor", FORGED_CURSORS)
@pytest.mark.parametrize("form", ["json", "csv"])
async def test_a_forged_cursor_is_a_400_before_anything_is_sent(
    local_api: TestClient, token: dict[str, str], cursor: str, form: str
) -> None:
    response = await local_api.get(
        "/api/v1/placements", params={"cursor": cursor, "format": form}, headers=token
    )
    assert response.status == 400
    assert response.content_type == "application/json"
    body = await response.json()
    assert body["field"] == "cursor" and "cursor" in body["error"]
    assert_no_trace(json.dumps(body))


@pytest.mark.parametrize("instant", EDGE_INSTANTS)
@pytest.mark.parametrize("form", ["json", "csv"])
async def test_updated_since_at_the_ends_of_the_calendar_is_a_400(
    local_api: TestClient, token: dict[str, str], instant: str, form: str
) -> None:
    response = await local_api.get(
        "/api/v1/placements", params={"updated_since": instant, "format": form}, headers=token
    )
    assert response.status == 400
    body = await response.json()
    assert body["field"] == "updated_since"
    assert "2026-11-23T10:00:00Z" in body["error"]  # an example of what is read


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("from", "0000-01-01"),
        ("to", "2027-02-30"),
        ("from", "9" * 400),
        ("limit", "9" * 30),
        ("limit", "-1"),
        ("limit", "1e3"),
        ("profession", "\x00"),
        ("status", "offered,\x00"),
        ("status", "nonsense"),
        ("format", "xml"),
        ("bom", "yes"),
    ],
)
async def test_every_query_parameter_refuses_junk_with_a_400(
    local_api: TestClient, token: dict[str, str], name: str, value: str
) -> None:
    for form in ("json", "csv"):
        params = {name: value} if name == "format" else {name: value, "format": form}
        response = await local_api.get("/api/v1/placements", params=params, headers=token)
        assert response.status == 400, (name, value, await response.text())
        body = await response.json()
        assert body["error"]
        assert_no_trace(body["error"])


@pytest.mark.parametrize("path", ["/api/v1/training", "/api/v1/training.ics"])
@pytest.mark.parametrize(
    "params", [{"profession": "\x00"}, {"profession": "astrology"}, {"limit": "lots"}]
)
async def test_the_training_feed_refuses_junk(
    local_api: TestClient, path: str, params: dict[str, str]
) -> None:
    response = await local_api.get(path, params=params)
    assert response.status == 400, await response.text()
    assert_no_trace(await response.text())


@pytest.mark.parametrize("path", ["/api/v1/placements/PL-2027-0001/requests", "/api/v1/blocks"])
async def test_nested_json_to_the_api_is_a_400_and_stores_nothing(
    local_api: TestClient, engine: AsyncEngine, token: dict[str, str], path: str
) -> None:
    before = await count(engine, PlacementBlock)
    response = await local_api.post(
        path, data=NESTED, headers={**token, "Content-Type": "application/json"}
    )
    assert response.status == 400, await response.text()
    assert_no_trace(await response.text())
    assert await count(engine, PlacementBlock) == before


@pytest.mark.parametrize("path", ["/local/send", "/local/action"])
async def test_nested_json_to_the_local_chat_is_a_400(local_api: TestClient, path: str) -> None:
    origin = f"http://127.0.0.1:{local_api.port}"
    response = await local_api.post(
        path, data=NESTED, headers={"Content-Type": "application/json", "Origin": origin}
    )
    assert response.status == 400, await response.text()
    assert_no_trace(await response.text())


async def test_nested_json_to_teams_is_a_400_before_auth(teams_rig: Any) -> None:
    response = await teams_rig.client.post(
        "/api/messages", data=NESTED, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400, await response.text()
    assert_no_trace(await response.text())


def _stamped(body: str, stamp: str) -> dict[str, str]:
    headers = wire.signed_headers(body)
    headers["X-Slack-Request-Timestamp"] = stamp
    return headers


@pytest.mark.parametrize("stamp", ["abc", "1700000000.5", "", "-1", "9" * 40, "１７０００"])
async def test_a_slack_timestamp_that_is_not_a_number_is_a_401(
    slack_rig: SlackRig, engine: AsyncEngine, stamp: str
) -> None:
    body, kind = wire.slash_command(
        "/placement", "offer PT 1 Feb - 12 Mar 2027 2 students", slack_rig.slack.response_url("t")
    )
    before = await count(engine, PlacementOffer), await count(engine, InboundReceipt)
    response = await slack_rig.post((body, kind), headers=_stamped(body, stamp))
    assert response.status == 401, await response.text()
    assert_no_trace(await response.text())
    assert (await count(engine, PlacementOffer), await count(engine, InboundReceipt)) == before


async def test_a_slack_request_with_no_timestamp_is_a_401(slack_rig: SlackRig) -> None:
    body, kind = wire.slash_command("/placement", "help", slack_rig.slack.response_url("t"))
    headers = wire.signed_headers(body)
    del headers["X-Slack-Request-Timestamp"]
    response = await slack_rig.post((body, kind), headers=headers)
    assert response.status == 401


WRONG_SHAPES: list[Any] = [
    [],
    "text",
    7,
    {"type": "block_actions"},
    {"type": "block_actions", "user": "U0001", "actions": "press"},
    {"type": "block_actions", "user": {"id": "U0001"}, "actions": [7]},
    {"type": "block_actions", "user": {"id": "U0001"}, "actions": [{"action_id": 5}]},
    {"type": "block_actions", "user": {"id": ["U0001"]}, "team": {"id": "T0001"}, "actions": []},
    {"type": "view_submission", "user": {"id": "U0001"}, "view": "x"},
    {"type": "view_submission", "user": {"id": "U0001"}, "view": {"callback_id": "offer"}},
    {
        "type": "view_submission",
        "user": {"id": "U0001"},
        "team": {"id": "T0001"},
        "view": {"callback_id": "offer.form", "state": {"values": []}, "private_metadata": "{"},
    },
    {"type": "shortcut", "user": None},
]


@pytest.mark.parametrize("payload", WRONG_SHAPES, ids=range(len(WRONG_SHAPES)))
async def test_a_signed_payload_of_the_wrong_shape_never_crashes(
    slack_rig: SlackRig, engine: AsyncEngine, payload: Any
) -> None:
    body = "payload=" + quote(json.dumps(payload))
    before = await count(engine, PlacementOffer)
    response = await slack_rig.post((body, "application/x-www-form-urlencoded"))
    assert response.status < 500, await response.text()
    assert_no_trace(await response.text())
    assert await count(engine, PlacementOffer) == before


@pytest.mark.parametrize(
    "fields",
    [
        {"command": "/placement", "text": "help"},  # no user_id
        {"user_id": "U0001", "text": "help"},  # no command
        {"user_id": "U0001", "command": "/placement", "text": "help", "response_url": "ftp://x"},
        {"user_id": "", "command": "/placement", "text": "help", "team_id": "T0001"},
    ],
)
async def test_a_signed_command_missing_its_fields_never_crashes(
    slack_rig: SlackRig, fields: dict[str, str]
) -> None:
    body = urlencode(fields)
    response = await slack_rig.post((body, "application/x-www-form-urlencoded"))
    assert response.status < 500, await response.text()
    assert_no_trace(await response.text())


async def test_anything_unexpected_is_a_short_500_with_a_reference_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(_request: web.Request) -> web.Response:
        raise RuntimeError("the secret internals")

    app = web.Application(middlewares=[errors.unexpected])
    app.router.add_get("/broken", broken)
    with caplog.at_level(logging.ERROR):
        async with TestClient(TestServer(app)) as client:
            response = await client.get("/broken")
            text = await response.text()
    assert response.status == 500
    assert "the secret internals" not in text and "Traceback" not in text
    reference = response.headers["X-Reference"]
    assert reference in text
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None
