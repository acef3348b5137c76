"""Log lines as plain text, or as JSON lines when PLACEBOT_LOG_FORMAT=json, each with the id of
the request (or outbox row's request) it belongs to.

The standard library's logging, with a JSON formatter on the root handler, rather than
structlog: aiohttp, SQLAlchemy, Alembic, slack-bolt and APScheduler all log through it, so one
formatter makes every line JSON, with no second logging system to keep in step.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.kernel import request_id

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HEADER = "X-Request-Id"


class WithRequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.current.get()
        return True


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if found := getattr(record, "request_id", None):
            line["request_id"] = found
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(form: str) -> None:
    """Plain text unless `form` is "json"; every handler of the root logger gets the id."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format=TEXT)
    for handler in root.handlers:
        handler.addFilter(WithRequestId())
        if form.strip().lower() == "json":
            handler.setFormatter(JsonLines())


@web.middleware
async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every request gets an id (a proxy's X-Request-Id if plain, else a new one), answered in
    the same header, carried into what the request queues."""
    given = request_id.accepted(request.headers.get(HEADER))
    request_id.current.set(given)
    try:
        response = await handler(request)
    except web.HTTPException as refused:
        refused.headers[HEADER] = given
        raise
    response.headers[HEADER] = given
    return response
