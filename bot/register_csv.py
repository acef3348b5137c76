"""The register as one CSV stream: the header, then every matching record in change order.

The database writes the CSV (see `register_csv_cells`): PostgreSQL through one
`COPY (SELECT ...) TO STDOUT (FORMAT csv)`, SQLite a whole line per record, a chunk of records
per read in a worker thread on a connection of its own, so the server's one pooled SQLite
connection stays free for other requests. Either way memory stays flat, and `write` (the HTTP
response or a file) sets the pace.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy import type_coerce as coerce
from sqlalchemy.ext.asyncio import AsyncSession

from bot.csv_line_ends import CrlfLineEnds
from bot.register_csv_cells import postgres_cells, sqlite_line
from bot.register_queries import PlacementQuery, Position, placements_statement
from bot.register_records import csv_lines
from storage.engine import sqlite_reader
from storage.tables import PlacementOffer

Sink = Callable[[bytes], Awaitable[None]]
Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]

HEADER = "".join(csv_lines([], header=True)).encode()
SQLITE_CHUNK = 5000  # records per SQLite read: a few tens of ms, about 1.5 MB


async def write_csv(begin: Transaction, query: PlacementQuery, write: Sink) -> int:
    """Every record matching `query` (its page size aside) as RFC 4180 CSV; how many."""
    await write(HEADER)
    async with begin() as session:
        bind = session.get_bind()
        if bind.dialect.name == "postgresql":
            return await _copy(session, query, write)
    return await _sqlite_chunks(bind.url.render_as_string(hide_password=False), query, write)


async def _copy(session: AsyncSession, query: PlacementQuery, write: Sink) -> int:
    connection = await session.connection()
    compiled = placements_statement(query, postgres_cells()).compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    params = compiled.construct_params()
    args = [params[name] for name in compiled.positiontup or ()]
    driver: Any = (await connection.get_raw_connection()).driver_connection
    line_ends = CrlfLineEnds()

    async def sink(data: bytes) -> None:
        await write(line_ends.feed(data))

    status: str = await driver.copy_from_query(compiled.string, *args, output=sink, format="csv")
    return int(status.split()[-1])  # "COPY 100000"


async def _sqlite_chunks(database_url: str, query: PlacementQuery, write: Sink) -> int:
    """Chunk after chunk by keyset, each its own read in a worker thread on its own connection;
    the next chunk is read while the last one is written."""
    offer = PlacementOffer
    columns = (offer.id, coerce(offer.updated_at, String), sqlite_line())
    engine = sqlite_reader(database_url)

    def read(after: Position | None) -> tuple[int, Position | None, bytes]:
        """How many records, where the next chunk starts (None: no more), and the lines."""
        chunk = dataclasses.replace(query, after=after)
        with engine.connect() as connection:
            statement = placements_statement(chunk, columns).limit(SQLITE_CHUNK)
            rows = connection.execute(statement).all()
        if len(rows) < SQLITE_CHUNK:
            following = None
        else:
            last_id, stamp, _line = rows[-1]  # stored as naive UTC text
            following = Position(datetime.fromisoformat(stamp).replace(tzinfo=UTC), last_id)
        return len(rows), following, "".join([row[2] for row in rows]).encode()

    total = 0
    reading = asyncio.ensure_future(asyncio.to_thread(read, query.after))
    try:
        while True:
            count, following, lines = await reading
            total += count
            if following is not None:
                reading = asyncio.ensure_future(asyncio.to_thread(read, following))
            if lines:
                await write(lines)
            if following is None:
                return total
    finally:
        reading.cancel()
        engine.dispose()
