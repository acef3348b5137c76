"""`GET /metrics` in Prometheus text format (prometheus-client), for the web process and, on
PLACEBOT_METRICS_PORT, the worker.

Behind PLACEBOT_METRICS_TOKEN: unset, there is no such page (404, so a scanner learns nothing);
set, a request without `Authorization: Bearer <token>` gets 401. What the core counts comes in
through `bot.kernel.metrics`; requests and their latency are counted here, per edge; the
inbox's and outbox's depth by status and the database pool's use are read at each scrape.
"""

from __future__ import annotations

import hmac
import time
from datetime import UTC, datetime

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.chat.inbox import depth_by_edge
from bot.kernel import metrics
from config.settings import Settings
from storage.tables import Delivery, InboundReceipt

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
EDGES = (
    ("/slack/", "slack"),
    ("/api/messages", "teams"),
    ("/api/v1/", "api"),
    ("/local/", "local"),
    ("/healthz", "health"),
    ("/readyz", "health"),
    ("/metrics", "metrics"),
)


def edge_of(path: str) -> str:
    for prefix, edge in EDGES:
        if path.startswith(prefix):
            return edge
    return "other"


class Prometheus:
    """The figures of this process, in their own registry (so tests can make several)."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.requests = Counter(
            "placebot_requests", "HTTP requests by edge and status", ["edge", "status"],
            registry=registry,
        )  # fmt: skip
        self.acknowledged = Histogram(
            "placebot_acknowledgement_seconds", "Time to answer an HTTP request, by edge",
            ["edge"], buckets=LATENCY_BUCKETS, registry=registry,
        )  # fmt: skip
        self.completed = Histogram(
            "placebot_completion_seconds",
            "Time from a platform's request to the end of the work behind it, by edge",
            ["edge"], buckets=LATENCY_BUCKETS, registry=registry,
        )  # fmt: skip
        self.deliveries = Counter(
            "placebot_deliveries", "Outbox sends by channel and outcome "
            "(sent, failed, rate_limited, retried)", ["channel", "outcome"], registry=registry,
        )  # fmt: skip
        self.schedule_runs = Counter(
            "placebot_schedule_runs", "Scheduled job runs by job and outcome", ["job", "outcome"],
            registry=registry,
        )  # fmt: skip
        self.outbox = Gauge(
            "placebot_outbox_depth", "Outbox rows by channel and status", ["channel", "status"],
            registry=registry,
        )  # fmt: skip
        self.inbox = Gauge(
            "placebot_inbox_depth", "Inbound receipts by state (answered, unanswered)",
            ["state"], registry=registry,
        )  # fmt: skip
        self.commands = Gauge(
            "placebot_command_inbox_depth", "Commands acknowledged and not yet worked, by edge "
            "and state (waiting, claimed)", ["edge", "state"], registry=registry,
        )  # fmt: skip
        self.pool = Gauge(
            "placebot_db_pool_connections", "Database pool connections by state",
            ["state"], registry=registry,
        )  # fmt: skip
        self._named = {
            "deliveries": self.deliveries,
            "schedule_runs": self.schedule_runs,
            "completion_seconds": self.completed,
        }

    def count(self, name: str, amount: float, labels: dict[str, str]) -> None:
        if isinstance(found := self._named.get(name), Counter):
            found.labels(**labels).inc(amount)

    def observe(self, name: str, value: float, labels: dict[str, str]) -> None:
        if isinstance(found := self._named.get(name), Histogram):
            found.labels(**labels).observe(value)

    async def read_database(self, engine: AsyncEngine) -> None:
        """The depths and the pool, as they are now."""
        async with engine.connect() as connection:
            outbox = await connection.execute(
                select(Delivery.channel, Delivery.status, func.count()).group_by(
                    Delivery.channel, Delivery.status
                )
            )
            self.outbox.clear()
            for channel, status, number in outbox:
                self.outbox.labels(channel, status).set(number)
            inbox = await connection.execute(
                select(InboundReceipt.answered_at.is_(None), func.count()).group_by(
                    InboundReceipt.answered_at.is_(None)
                )
            )
            self.inbox.clear()
            for unanswered, number in inbox:
                self.inbox.labels("unanswered" if unanswered else "answered").set(number)
            self.commands.clear()
            for edge, states in (await depth_by_edge(connection, datetime.now(UTC))).items():
                for state, number in states.items():
                    self.commands.labels(edge, state).set(number)
        pool = engine.pool
        for state in ("size", "checkedout", "overflow", "checkedin"):
            if reading := getattr(pool, state, None):
                self.pool.labels(state).set(float(reading()))


KEEPER: web.AppKey[Prometheus] = web.AppKey("metrics", Prometheus)
ENGINE: web.AppKey[AsyncEngine] = web.AppKey("metrics.engine", AsyncEngine)
TOKEN: web.AppKey[str] = web.AppKey("metrics.token", str)
STARTED: web.RequestKey[float] = web.RequestKey("metrics.started", float)


@web.middleware
async def counted(request: web.Request, handler: Handler) -> web.StreamResponse:
    keeper = request.app[KEEPER]
    began = time.monotonic()
    request[STARTED] = began
    edge = edge_of(request.path)
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as refused:
        status = refused.status
        raise
    finally:
        keeper.requests.labels(edge, str(status)).inc()
        keeper.acknowledged.labels(edge).observe(time.monotonic() - began)


async def scrape(request: web.Request) -> web.Response:
    token = request.app[TOKEN]
    if not token:
        raise web.HTTPNotFound()
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise web.HTTPUnauthorized(headers={"WWW-Authenticate": "Bearer"})
    keeper = request.app[KEEPER]
    await keeper.read_database(request.app[ENGINE])
    body = generate_latest(keeper.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def mount(app: web.Application, engine: AsyncEngine, settings: Settings) -> Prometheus:
    """Count this app's requests and serve `/metrics`; the core's figures come here too."""
    keeper = Prometheus()
    metrics.keep_with(keeper)
    app[KEEPER], app[ENGINE] = keeper, engine
    app[TOKEN] = settings.placebot_metrics_token
    app.middlewares.insert(0, counted)  # outermost: it sees the status the client gets
    app.router.add_get("/metrics", scrape)
    return keeper
