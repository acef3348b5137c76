"""Junk input as tables, beside test_junk_input.py's one replay per finding: hostile values over
every query parameter of each listing, forged cursors and edge instants on JSON and CSV, nested
JSON on every JSON edge, Slack timestamps that are not whole seconds and signed payloads of many
wrong shapes. Each is a 4xx (401 for Slack's signature; bolt's own 404 for kinds no listener
reads) with no traceback in the body and nothing stored; CSV is never a 200 and then a broken
stream. SQLite and PostgreSQL, through one server with every edge mounted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from adapters.server import build_app
from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from bot.register.tokens import PREFIX
from config.settings import Settings
from storage.engine import make_engine
from storage.tables import Base
from tests.conftest import bearer, make_token
from tests.support import slack_wire, teams_wire
from tests.support.chat import Chat
from tests.support.fakes.bot_connector import FakeConnector
from tests.support.fakes.bot_framework_keys import BotFrameworkKeys
from tests.support.fakes.slack_api import FakeSlack
from tests.support.slack_rig import slack_settings
from tests.support.teams_rig import teams_settings

BRACKETS = "[" * 12 * 1024  # the finding: 12 KB of nesting, a RecursionError in the parser
OBJECTS = '{"a":' * 3000
TRACES = ("Traceback", 'File "', ".py", "Error(", "RecursionError", "OverflowError")
CALL_COUNTERS = frozenset({"rate_windows", "send_paces"})
OFFER = "offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab"


@dataclass
class Server:
    """The whole server with every edge mounted: register API, local chat, Teams (an app id:
    tokens checked) and Slack (signed), faked only at the network edge."""

    client: TestClient
    slack: FakeSlack
    token: str
    bot: PlaceBot

    async def rows(self) -> dict[str, int]:
        """How many rows each table holds: nothing stored means none of these moved. (The rate
        limit's windows count calls, refused ones too, by design: they are not data.)"""
        async with self.bot.sessions() as session:
            return {
                table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
                for table in Base.metadata.sorted_tables
                if table.name not in CALL_COUNTERS
            }

    def own(self) -> dict[str, str]:
        return {"Origin": f"http://127.0.0.1:{self.client.port}"}


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Rate limits out of the way: the table below sends hundreds of calls on one token."""
    return Settings(database_url=database_url, placebot_api_rate_per_minute=100_000, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
async def server(
    bot: PlaceBot, settings: Settings, clock: FixedClock, chat: Chat
) -> AsyncIterator[Server]:
    with BotFrameworkKeys() as keys:
        keys.endorsements = ["msteams"]
        async with FakeSlack() as slack, FakeConnector() as connector:
            configured = slack_settings(
                teams_settings(
                    settings,
                    connector,
                    microsoft_app_id=teams_wire.APP_ID,
                    microsoft_app_password="secret",
                    microsoft_openid_metadata_url=keys.metadata_url,
                ),
                slack,
                placebot_local_chat=True,
            )
            app = build_app(configured, make_engine(settings.database_url), clock)
            async with TestClient(TestServer(app, host="127.0.0.1")) as client:
                token = await make_token(bot, "University of Nottingham")
                yield Server(client, slack, token, bot)


async def refused(response: ClientResponse, status: int, *words: str) -> dict[str, Any]:
    """The answer is `status`, JSON with an error naming `words`, and shows no traceback."""
    text = await response.text()
    assert response.status == status, text
    assert not any(trace in text for trace in TRACES), text
    if response.content_type != "application/json":  # the local chat answers in text
        assert response.content_type == "text/plain" and text.strip(), text
        return {"error": text}
    body: dict[str, Any] = json.loads(text)
    for word in words:
        assert word in body["error"], body
    return body


def cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


GOOD_STAMP = "2026-11-23T10:00:00+00:00"
FORGED_CURSORS = [
    cursor(GOOD_STAMP, 9999999999999999999),  # past BIGINT
    cursor(GOOD_STAMP, -9223372036854775809),  # below it
    cursor(GOOD_STAMP, True),  # an int to Python
    cursor(GOOD_STAMP, 0),
    cursor(GOOD_STAMP, 1.5),
    cursor("0001-01-01T00:00:00+14:00", 1),  # before year 1 in UTC
    cursor("9999-12-31T23:59:59-14:00", 1),  # after 9999 in UTC
    cursor("2026-11-23T10:00:00", 1),  # no offset
    cursor(12, 1),
    cursor(GOOD_STAMP),
    base64.urlsafe_b64encode(b'{"a": 1}').decode(),
    base64.urlsafe_b64encode(b"[" * 80).decode(),
    base64.urlsafe_b64encode(b"[" * 5000).decode(),  # deep enough for a RecursionError
    "bm90IGpzb24",  # "not json"
    "!!!*garbage*",
    "\u202e" + cursor(GOOD_STAMP, 1),
    "A" * 5000,
]


@pytest.mark.parametrize("shape", ["json", "csv"])
@pytest.mark.parametrize("forged", FORGED_CURSORS)
async def test_a_forged_cursor_is_400_before_any_page_or_stream(
    server: Server, forged: str, shape: str
) -> None:
    before = await server.rows()
    response = await server.client.get(
        "/api/v1/placements",
        params={"cursor": forged, "format": shape},
        headers=bearer(server.token),
    )
    body = await refused(response, 400, "cursor")
    assert body["field"] == "cursor"
    assert await server.rows() == before


EDGE_INSTANTS = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "2026-11-23T10:00:00",  # no offset
    "2026-13-01T00:00:00Z",
    "٢٠٢٦-11-23T10:00:00Z",  # Arabic-Indic digits
    "abc",
    "9" * 400,
]


@pytest.mark.parametrize("shape", ["json", "csv"])
@pytest.mark.parametrize("since", EDGE_INSTANTS)
async def test_updated_since_at_the_calendars_edges_is_400_and_csv_never_starts(
    server: Server, since: str, shape: str
) -> None:
    """The finding: a 500, and for CSV a 200 and then a broken stream."""
    response = await server.client.get(
        "/api/v1/placements",
        params={"updated_since": since, "format": shape},
        headers=bearer(server.token),
    )
    body = await refused(response, 400, "updated_since")
    assert body["field"] == "updated_since"


async def test_a_cursor_given_out_still_pages_and_the_instants_in_range_still_work(
    server: Server, chat: Chat
) -> None:
    """The checks refuse junk, not what the server itself gives out."""
    for start in ("1 Feb", "8 Feb"):  # two offers: the same twice would be asked about first
        line = f"placement offer PT {start} - 12 Mar 2027 2 students at Stroke Rehab"
        assert (await chat.say("stroke-physio", line)).tone == "success"
    auth = bearer(server.token)
    first = await server.client.get("/api/v1/placements", params={"limit": "1"}, headers=auth)
    assert first.status == 200, await first.text()
    page = await first.json()
    assert page["next_cursor"]
    for params in (
        {"cursor": page["next_cursor"]},
        {"updated_since": page["next_updated_since"]},
        {"updated_since": "0001-01-02T00:00:00Z", "format": "csv"},
    ):
        response = await server.client.get("/api/v1/placements", params=params, headers=auth)
        assert response.status == 200, (params, await response.text())


HOSTILE = [
    "",
    " ",
    "-1",
    "0",
    "9" * 30,
    "1e309",
    "NaN",
    "true",
    "null",
    "[[[",
    "²",
    "\u202e\u200b",
    "🙂",
    "x" * 300,
    "%ff",
    "0001-01-01T00:00:00+14:00",
    "2027-02-30",
    "json,csv",
]
PARAMETERS = (
    "from",
    "to",
    "limit",
    "format",
    "bom",
    "status",
    "profession",
    "site",
    "block",
    "updated_since",
    "cursor",
)


async def test_hostile_values_over_every_query_parameter_are_400_or_an_answer_never_500(
    server: Server,
) -> None:
    """A table of junk over each parameter of each listing: a JSON 400 naming the parameter,
    or a whole answer; for CSV never a 200 and then a broken stream. Each parameter given
    twice is refused too, but for `status`, which is a list."""
    before = await server.rows()
    auth = bearer(server.token)
    seen: dict[int, int] = {}
    for shape in ("json", "csv"):
        for name in PARAMETERS:
            for value in HOSTILE:
                params = [(name, value)] + ([] if name == "format" else [("format", shape)])
                response = await server.client.get(
                    "/api/v1/placements", params=params, headers=auth
                )
                text = await response.text()  # read to the end: a broken stream raises here
                seen[response.status] = seen.get(response.status, 0) + 1
                assert response.status in (200, 400), (name, value, response.status, text)
                assert not any(trace in text for trace in TRACES), (name, value, text)
                if response.status == 400:
                    assert response.content_type == "application/json"
                    assert json.loads(text)["field"] == name, (name, value, text)
    for name in ("profession", "limit"):
        for value in HOSTILE:
            for path in ("/api/v1/training", "/api/v1/training.ics"):
                response = await server.client.get(path, params={name: value})
                text = await response.text()
                assert response.status in (200, 400), (path, name, value)
                assert not any(trace in text for trace in TRACES), (path, name, value, text)
    assert seen[200] and seen[400]  # the table holds values of both kinds
    assert await server.rows() == before


JSON_EDGES = [
    ("/local/send", "own"),
    ("/local/action", "own"),
    ("/local/form", "own"),
    ("/api/messages", "none"),  # before the token is even looked at
    ("/api/v1/blocks", "token"),
    ("/api/v1/placements/PL-2026-000001/requests", "token"),
]


@pytest.mark.parametrize("junk", [BRACKETS, OBJECTS], ids=["brackets", "objects"])
@pytest.mark.parametrize(("path", "who"), JSON_EDGES)
async def test_deeply_nested_json_is_400_on_every_edge(
    server: Server, path: str, who: str, junk: str
) -> None:
    before = await server.rows()
    headers = {"Content-Type": "application/json"}
    if who == "own":
        headers |= server.own()
    if who == "token":
        headers |= bearer(server.token)
    response = await server.client.post(path, data=junk.encode(), headers=headers)
    await refused(response, 400)
    assert await server.rows() == before


@pytest.mark.parametrize("after", ["²", "٣", "-1", "1.5", "9" * 19, "x"])
async def test_the_local_inbox_refuses_an_after_that_is_not_a_message_id(
    server: Server, after: str
) -> None:
    """`"²".isdigit()` is true and `int("²")` raises: that was a 500."""
    response = await server.client.get(
        "/local/inbox", params={"user": "faculty-lead", "after": after}, headers=server.own()
    )
    body = await refused(response, 400)
    assert "after=" in body["error"]


def signed(body: str, timestamp: str) -> dict[str, str]:
    """Slack's signature over `body` with whatever `timestamp` says, so only it is wrong."""
    base = f"v0:{timestamp}:{body}".encode()
    digest = hmac.new(slack_wire.SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


@pytest.mark.parametrize(
    "timestamp",
    ["abc", "1.5", "decimal-now", "missing", "", "0x10", "١٢٣", "9" * 40, "-5", "1e9"],
)
async def test_a_slack_timestamp_that_is_not_whole_seconds_is_401_and_stores_nothing(
    server: Server, timestamp: str
) -> None:
    before = await server.rows()
    body, content_type = slack_wire.slash_command(
        "/placement", OFFER, server.slack.response_url("x")
    )
    stamp = f"{time.time():.3f}" if timestamp == "decimal-now" else timestamp
    headers = {"Content-Type": content_type, **signed(body, stamp)}
    if timestamp == "missing":
        del headers["X-Slack-Request-Timestamp"]
    response = await server.client.post("/slack/events", data=body.encode(), headers=headers)
    await refused(response, 401)
    assert await server.rows() == before
    assert server.slack.named("response:x") == []


def _press(**changes: Any) -> dict[str, Any]:
    body, _ = slack_wire.block_action("offer.withdraw.confirm:0", "PL-1", "https://x")
    payload: dict[str, Any] = json.loads(dict(_form(body))["payload"])
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not _GONE}


def _form(body: str) -> list[tuple[str, str]]:
    return parse_qsl(body, keep_blank_values=True)


_GONE = object()
_VIEW = {"id": "V1", "callback_id": "offer.create", "type": "modal", "blocks": []}


def _command(**changes: str | None) -> str:
    body, _ = slack_wire.slash_command("/placement", OFFER, "https://x")
    fields = dict(_form(body)) | changes
    return urlencode({k: v for k, v in fields.items() if v is not None})


WRONG_SHAPES: dict[str, str] = {
    "payload is a list": "payload=" + json.dumps([1, 2]),
    "payload is a string": "payload=" + json.dumps("block_actions"),
    "payload nests deep": "payload=" + BRACKETS,
    "no user": "payload=" + json.dumps(_press(user=_GONE)),
    "user is a string": "payload=" + json.dumps(_press(user="U0001")),
    "user has no id": "payload=" + json.dumps(_press(user={"name": "x"})),
    "actions not a list": "payload=" + json.dumps(_press(actions={"action_id": "x"})),
    "actions empty": "payload=" + json.dumps(_press(actions=[])),
    "an action not an object": "payload=" + json.dumps(_press(actions=[5])),
    "action_id a number": "payload=" + json.dumps(_press(actions=[{"action_id": 7}])),
    "team a list": "payload=" + json.dumps(_press(team=["T0001"])),
    "channel a number": "payload=" + json.dumps(_press(channel=5)),
    "container a number": "payload=" + json.dumps(_press(container=1)),
    "authorizations a string": "payload=" + json.dumps(_press(authorizations="x")),
    "authorizations of text": "payload=" + json.dumps(_press(authorizations=["x"])),
    "enterprise a number": "payload=" + json.dumps(_press(enterprise=5)),
    "an event's channel a number": json.dumps(
        {"type": "event_callback", "event": {"type": "message", "channel": 5}}
    ),
    "an event's item names its channel by a number": json.dumps(
        {"type": "event_callback", "event": {"type": "reaction_added", "item": {"channel": 5}}}
    ),
    "an event's team a list": json.dumps(
        {"type": "event_callback", "event": {"type": "message", "team": [1]}}
    ),
    "view with no state": "payload="
    + json.dumps(_press(type="view_submission", actions=_GONE, view=_VIEW)),
    "view state values a list": "payload="
    + json.dumps(
        _press(type="view_submission", actions=_GONE, view={**_VIEW, "state": {"values": [1]}})
    ),
    "view a string": "payload=" + json.dumps(_press(type="view_submission", view="V1")),
    "command with no user_id": _command(user_id=None),
    "command with an empty user_id": _command(user_id=""),
    "an event that is text": json.dumps({"type": "event_callback", "event": "app_home_opened"}),
    "home opened by an object": json.dumps(
        {"type": "event_callback", "event": {"type": "app_home_opened", "user": {"id": "U1"}}}
    ),
    "empty JSON object": "{}",
}


# Shapes of the kinds listened to here, which must be refused by name; the others (no object
# at all, events no listener reads) may instead get bolt's own 404, "unhandled request".
LISTENED = {
    name
    for name in WRONG_SHAPES
    if not name.startswith(("payload is", "payload nests", "empty", "an event's"))
}


@pytest.mark.parametrize("name", WRONG_SHAPES)
async def test_a_signed_slack_payload_of_the_wrong_shape_is_400_and_stores_nothing(
    server: Server, name: str
) -> None:
    body = WRONG_SHAPES[name]
    before = await server.rows()
    content_type = (
        "application/json" if body.startswith("{") else "application/x-www-form-urlencoded"
    )
    headers = {"Content-Type": content_type, **slack_wire.signed_headers(body)}
    response = await server.client.post("/slack/events", data=body.encode(), headers=headers)
    found = await refused(response, response.status)
    assert response.status == 400 or (response.status == 404 and name not in LISTENED), found
    assert await server.rows() == before
    called = [call.method for call in server.slack.calls if call.method != "auth.test"]
    assert called == []  # no users.info, no answer  # no users.info, no answer


async def test_anything_unexpected_is_a_short_500_with_a_reference_and_one_log_line(
    settings: Settings, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in a route, and the database gone from under the register API: a reference in
    the answer, and the traceback in the log under the same reference, once."""

    async def broken(_request: web.Request) -> web.Response:
        raise RuntimeError("a detail that must stay in the log")

    gone = make_engine("sqlite+aiosqlite:////nonexistent/directory/placebot.db")
    app = build_app(settings, gone, clock)
    app.router.add_get("/broken", broken)
    async with TestClient(TestServer(app)) as client:
        for path, headers in (
            ("/broken", {}),
            ("/api/v1/placements", bearer(f"{PREFIX}not-a-real-token")),
            ("/api/v1/training.ics", {}),
        ):
            caplog.clear()
            with caplog.at_level(logging.ERROR):
                response = await client.get(path, headers=headers)
            text = await response.text()
            assert response.status == 500, text
            assert not any(trace in text for trace in TRACES), text
            assert "must stay in the log" not in text
            [line] = [r for r in caplog.records if r.levelno >= logging.ERROR]
            reference = line.getMessage().split("reference ")[1].split(",")[0]
            assert reference in text and len(text) < 200
            assert line.exc_info is not None
