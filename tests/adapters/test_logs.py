"""JSON log lines with the request id, and the id carried from the edge to the outbox row and
on to the send: a request's id is answered in X-Request-Id (a plain one given by a proxy is
kept, junk is replaced), a row queued under an id keeps it, and its send runs under it."""

from __future__ import annotations

import json
import logging
import sys

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from adapters.logs import JsonLines, WithRequestId
from bot.chat.placebot import PlaceBot
from bot.delivery.queue import enqueue
from bot.delivery.sender import Sender
from bot.kernel import request_id
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Reply
from storage.tables import Delivery, Person


def test_a_json_line_carries_the_request_id_and_the_traceback() -> None:
    record = logging.LogRecord("placebot", logging.ERROR, __file__, 1, "failed %s", ("x",), None)
    marked = request_id.current.set("req-42")
    try:
        WithRequestId().filter(record)
    finally:
        request_id.current.reset(marked)
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = json.loads(JsonLines().format(record))
    assert line["message"] == "failed x"
    assert line["request_id"] == "req-42"
    assert line["level"] == "ERROR"
    assert "ValueError: boom" in line["exception"]


async def test_the_server_answers_each_request_with_its_id(api: TestClient) -> None:
    kept = await api.get("/healthz", headers={"X-Request-Id": "lb-7f3a"})
    assert kept.headers["X-Request-Id"] == "lb-7f3a"
    junk = await api.get("/healthz", headers={"X-Request-Id": "<script>"})
    assert junk.headers["X-Request-Id"] != "<script>"
    assert len(junk.headers["X-Request-Id"]) == 32
    refused = await api.get("/api/v1/placements")
    assert refused.status == 401
    assert refused.headers["X-Request-Id"]


class Recording:
    name = "local"

    def __init__(self) -> None:
        self.under: list[str | None] = []

    async def send(self, person_id: int, reply: Reply, key: str | None = None) -> None:
        self.under.append(request_id.current.get())


async def test_a_row_queued_under_a_request_is_sent_under_it(
    bot: PlaceBot, clock: FixedClock
) -> None:
    async with bot.sessions.begin() as session:
        someone = (await session.scalars(select(Person.id).limit(1))).one()
        marked = request_id.current.set("req-from-slack")
        try:
            await enqueue(session, someone, "local", Reply(text="hello"), "k:1", clock.now())
        finally:
            request_id.current.reset(marked)
    async with bot.sessions() as session:
        assert (await session.scalars(select(Delivery.request_id))).all() == ["req-from-slack"]
    channel = Recording()
    assert (await Sender(bot.sessions, {"local": channel}, clock).run_once()).sent == 1
    assert channel.under == ["req-from-slack"]
    assert request_id.current.get() is None  # the send's id stayed in the send's task
