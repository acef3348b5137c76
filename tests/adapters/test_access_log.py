"""Routine chat-platform deliveries stay out of the access log; refusals and the rest do not."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from aiohttp.web_log import AccessLogger

from adapters.access_log import AccessLog


@pytest.mark.parametrize(
    ("method", "path", "status", "seconds", "logged"),
    [
        ("POST", "/api/messages", 200, 0.01, False),
        ("POST", "/slack/events", 200, 0.01, False),
        ("POST", "/api/messages", 401, 0.01, True),
        ("POST", "/slack/events", 500, 0.01, True),
        ("POST", "/api/messages", 200, 2.0, True),
        ("GET", "/api/v1/placements", 200, 0.01, True),
        ("GET", "/healthz", 200, 0.01, True),
    ],
)
def test_what_the_access_log_keeps(
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    status: int,
    seconds: float,
    logged: bool,
) -> None:
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    log = AccessLog(logging.getLogger("aiohttp.access"), AccessLogger.LOG_FORMAT)
    log.log(make_mocked_request(method, path), web.Response(status=status), seconds)
    assert (f"{method} {path}" in caplog.text) is logged
