"""The register as one CSV stream: the header, then every matching record in change order.

The database writes the CSV (see `register_csv_cells`): PostgreSQL through one
`COPY (SELECT ...) TO STDOUT (FORMAT csv)`, SQLite a whole line per record, chunks of records
read in worker threads on connections of their own, so the server's one pooled SQLite
connection stays free for other requests. Either way memory stays flat, and `write` (the HTTP
response or a file) sets the pace.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, String
from sqlalchemy import type_coerce as coerce
from sqlalchemy.ext.asyncio import AsyncSession

from bot.csv_line_ends import CrlfLineEnds
from bot.register_csv_cells import postgres_cells
from bot.register_csv_sqlite import sqlite_lines
from bot.register_queries import PlacementQuery, Position, change_key, placements_statement
from bot.register_records import csv_lines
from storage.engine import sqlite_reader
from storage.tables import PlacementOffer

Sink = Callable[[bytes], Awaitable[None]]
Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]

HEADER = "".join(csv_lines([], header=True)).encode()
SQLITE_CHUNK = 5000  # records per SQLite read: a few tens of ms, about 1.5 MB
SQLITE_READERS = 2  # chunks read at once; the machine's other core, and bounded memory


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
    """Chunks between keys found first by a cheap index walk, so that two worker threads, each on
    a connection of its own, write lines side by side; they are written out in order."""
    engine = sqlite_reader(database_url)
    offer = PlacementOffer
    key_columns = (offer.id, coerce(offer.updated_at, String))

    def position(row: Row[Any]) -> Position:
        last_id, stamp = row[0], row[1]  # stored as naive UTC text
        return Position(datetime.fromisoformat(stamp).replace(tzinfo=UTC), last_id)

    def chunk_end(after: Position | None) -> Position | None:
        """The last key of a full chunk after `after`; None when fewer records are left."""
        statement = placements_statement(dataclasses.replace(query, after=after), key_columns)
        with engine.connect() as connection:
            row = connection.execute(statement.offset(SQLITE_CHUNK - 1).limit(1)).first()
        return position(row) if row else None

    def lines(after: Position | None, end: Position | None) -> tuple[int, bytes]:
        """The records after `after` up to `end` (to the last, if None), and how many."""
        statement = sqlite_lines(dataclasses.replace(query, after=after))
        if end is not None:
            statement = statement.where(change_key() <= end.key())
        with engine.connect() as connection:
            found = connection.execute(statement).scalars().all()
        return len(found), "".join(found).encode()

    reads: deque[asyncio.Future[tuple[int, bytes]]] = deque()
    total, after, more = 0, query.after, True
    try:
        while more or reads:
            if more:
                end = await asyncio.to_thread(chunk_end, after)
                reads.append(asyncio.ensure_future(asyncio.to_thread(lines, after, end)))
                after, more = end, end is not None
            if len(reads) == SQLITE_READERS or not more:
                count, text = await reads.popleft()
                total += count
                if text:
                    await write(text)
        return total
    finally:
        for read in reads:
            read.cancel()
        engine.dispose()
