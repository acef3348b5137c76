"""The access log, minus the chat platforms' routine deliveries.

Teams and Slack post every message, click and command to the bot; at hundreds a second, a log
line for each accepted delivery cost a seventh of a Teams turn's CPU (formatting, then a write
to stderr on the event loop) and tells an operator nothing the receipts table does not. Those
deliveries are logged when they are refused, fail or are slow; every other request as before.
"""

from __future__ import annotations

from aiohttp.web_log import AccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

PLATFORM_PATHS = frozenset({"/api/messages", "/slack/events"})
SLOW = 1.0  # seconds; a delivery answered slower than this is logged


class AccessLog(AccessLogger):
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if request.path in PLATFORM_PATHS and response.status < 400 and time < SLOW:
            return
        super().log(request, response, time)
