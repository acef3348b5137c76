"""A graceful stop: SIGTERM or SIGINT closes the gate, the work in hand finishes, the process ends.

From the moment a stop begins `/readyz` answers 503 (a load balancer stops sending here) and any
new request is refused with 503 and `Retry-After`, while requests already in hand run to their
answer. The composition root then stops the listener, drains the edges' background work (their
`on_shutdown` hooks) and disposes of the engine, all within `PLACEBOT_SHUTDOWN_SECONDS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading

from aiohttp import web
from aiohttp.typedefs import Handler

log = logging.getLogger("placebot")

HEALTH_PATHS = frozenset({"/healthz", "/readyz"})
# Seconds of the shutdown bound kept back for closing connections after the work in hand.
MARGIN = 1.0


def stop_requested(bound: float) -> asyncio.Event:
    """An event set by SIGTERM or SIGINT in the running loop (instead of KeyboardInterrupt).

    The first signal also arms a last resort: whatever still runs `bound` seconds later (a
    driver's thread, a cancelled query's cleanup) does not keep the process, which exits 0."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()

    def begin() -> None:
        if not stopping.is_set():
            stopping.set()
            last_resort = threading.Timer(bound, _exit_now, args=(bound,))
            last_resort.daemon = True  # a clean exit before it does not wait for it
            last_resort.start()

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C as before
            loop.add_signal_handler(sig, begin)
    return stopping


def _exit_now(bound: float) -> None:
    log.warning("still stopping after %g s (PLACEBOT_SHUTDOWN_SECONDS): exiting now", bound)
    logging.shutdown()
    os._exit(0)


class Gate:
    """Whether this server takes new requests, and how many it has in hand."""

    def __init__(self) -> None:
        self.stopping = False
        self.in_hand = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.stopping and request.path not in HEALTH_PATHS:
            return web.json_response(
                {"status": "unavailable", "reason": "PlaceBot is restarting; try again shortly."},
                status=503,
                headers={"Retry-After": "5", "Connection": "close"},
            )
        self.in_hand += 1
        self._idle.clear()
        try:
            return await handler(request)
        finally:
            self.in_hand -= 1
            if self.in_hand == 0:
                self._idle.set()

    async def close(self, within: float) -> int:
        """Refuse new requests from now on and wait up to `within` seconds for those in hand
        to be answered; how many were still running when the time ran out."""
        self.stopping = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), max(within, 0.0))
        return self.in_hand


GATE_KEY: web.AppKey[Gate] = web.AppKey("gate", Gate)


def mount(app: web.Application) -> Gate:
    gate = app[GATE_KEY] = Gate()
    app.middlewares.append(gate.middleware)
    return gate
