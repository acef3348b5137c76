"""Slack's HTTP bodies read as Slack means them, before slack-bolt sees them.

slack-bolt 1.30 (`slack_bolt.request.internals.parse_body`) takes a form body in which the
word "payload" appears anywhere for an interactive payload, finds no `payload` field and hands
the listeners an empty body: `/placement offer ... at payload unit, Ward 3` then matches no
listener, Slack is answered 404 and the command is lost. Here a form is an interactive payload
only when it has a top-level `payload` field; any other form (a slash command) is its fields.

The raw body is kept exactly as it arrived, because that is what bolt's signature check signs.
Socket Mode is not affected: its envelopes arrive as JSON and bolt is given them as a dict.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

from adapters import json_body
from adapters.slack import shape

JSON = "application/json"


def parse_body(raw: str, content_type: str | None) -> dict[str, Any]:
    """The body as a dict. JSON is told from a form as bolt tells it (the content type, or a
    body that opens with a brace); a body that does not parse is empty, so that bolt still
    checks its signature (401 when forged) and then finds no listener for it."""
    if not raw:
        return {}
    if content_type == JSON or raw.startswith("{"):
        return _json_object(raw)
    form = dict(parse_qsl(raw, keep_blank_values=True))
    if "payload" in form:
        return _json_object(form["payload"])
    return form


def _json_object(text: str) -> dict[str, Any]:
    try:
        return json_body.parse_object(text)
    except json_body.BadJson:
        return {}


class SlackWireRequest(AsyncBoltRequest):
    """A bolt HTTP request whose `body` (and the context bolt derives from it) comes from
    `parse_body`, with `raw_body` as sent for the signature check."""

    def __init__(
        self,
        *,
        body: str,
        query: str | dict[str, str] | dict[str, Sequence[str]] | None = None,
        headers: dict[str, str | Sequence[str]] | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        # Bolt's own parse is given nothing to misread; the body is set right after.
        super().__init__(body="", query=query, headers=headers, context=context)
        self.raw_body = body
        self.body = shape.screened(parse_body(body, self.content_type))
        try:
            self.context = build_async_context(AsyncBoltContext(context or {}), self.body)
        except (TypeError, AttributeError, KeyError, IndexError):
            # bolt reads ids from corners of the payload `shape` does not list: still junk
            self.body = {shape.MALFORMED: "the payload is not in a shape Slack sends"}
            self.context = build_async_context(AsyncBoltContext(context or {}), self.body)

    def to_copyable(self) -> SlackWireRequest:
        """Bolt's copy re-parses the raw body with its own parser; this one keeps ours."""
        return SlackWireRequest(
            body=self.raw_body,
            query=self.query,
            headers=self.headers,
            context=self.context.to_copyable(),
        )


async def slack_request(request: web.Request) -> AsyncBoltRequest:
    """`slack_bolt.adapter.aiohttp.to_bolt_request`, with the body read by `parse_body`."""
    return SlackWireRequest(
        body=await request.text(),
        query=request.query_string,
        headers=request.headers,  # type: ignore[arg-type]
    )
