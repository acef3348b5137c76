"""The register as one CSV stream: the header, then every matching record in change order.

The database writes the CSV (`postgres_cells`, `sqlite_lines`): PostgreSQL through one
`COPY (SELECT ...) TO STDOUT (FORMAT csv)`, SQLite a whole line per record, chunks of records
read in a worker thread on connections of its own, so the server's one pooled SQLite
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

from sqlalchemy import Integer, String, bindparam, tuple_
from sqlalchemy import type_coerce as coerce
from sqlalchemy.ext.asyncio import AsyncSession

from bot.register.csv.line_ends import CrlfLineEnds
from bot.register.csv.postgres_cells import postgres_cells
from bot.register.csv.sqlite_lines import sqlite_lines
from bot.register.queries import PlacementQuery, Position, change_key, placements_statement
from bot.register.records import csv_lines
from storage.engine import sqlite_reader
from storage.tables import PlacementOffer
from storage.types import UTCDateTime

Sink = Callable[[bytes], Awaitable[None]]
Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]

HEADER = "".join(csv_lines([], header=True)).encode()
SQLITE_CHUNK = 5000  # records per SQLite read: a few tens of ms, about 1.5 MB
EXPORT_TIMEOUT = 3600.0  # seconds a PostgreSQL COPY of the register may take (asyncpg's own timer)
# Keys before and after every record: stored stamps compare as text, "0001-" < "2026-" < "9999-".
_FIRST = Position(datetime.min.replace(tzinfo=UTC), 0)
_LAST = Position(datetime.max.replace(tzinfo=UTC), 2**63 - 1)


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

    # A whole register to a slow client may outlast the statement timeout meant for requests.
    await connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
    status: str = await driver.copy_from_query(
        compiled.string, *args, output=sink, format="csv", timeout=EXPORT_TIMEOUT
    )
    return int(status.split()[-1])  # "COPY 100000"


async def _sqlite_chunks(database_url: str, query: PlacementQuery, write: Sink) -> int:
    """Chunk after chunk in a worker thread on connections of its own. A chunk's end is found
    first by a cheap index walk, so a record that changes meanwhile moves past the chunk rather
    than into it twice (it comes again later in the pull, newer)."""
    engine = sqlite_reader(database_url)
    offer = PlacementOffer
    everything = dataclasses.replace(query, after=None)
    # Built once per pull: each chunk only binds its keys (building the statement costs more
    # than reading a chunk's lines).
    low = tuple_(bindparam("after_at", type_=UTCDateTime()), bindparam("after_id", type_=Integer))
    high = tuple_(bindparam("end_at", type_=UTCDateTime()), bindparam("end_id", type_=Integer))
    ends = (
        placements_statement(everything, (offer.id, coerce(offer.updated_at, String)))
        .where(change_key() > low)
        .offset(SQLITE_CHUNK - 1)
        .limit(1)
    )
    between = sqlite_lines(everything).where(change_key() > low, change_key() <= high)

    def chunk(after: Position) -> tuple[int, bytes, Position | None]:
        """How many records after `after`, up to a full chunk's last key, their lines, and that
        key (None when this was the last chunk)."""
        keys = {"after_at": after.updated_at, "after_id": after.id}
        with engine.connect() as connection:
            found = connection.execute(ends, keys).first()
            if found is None:
                end = None
            else:
                last_id, stamp = found  # stored as naive UTC text
                end = Position(datetime.fromisoformat(stamp).replace(tzinfo=UTC), last_id)
            upto = end or _LAST
            keys |= {"end_at": upto.updated_at, "end_id": upto.id}
            lines = connection.execute(between, keys).scalars().all()
        return len(lines), "".join(lines).encode(), end

    total = 0
    reading = asyncio.ensure_future(asyncio.to_thread(chunk, query.after or _FIRST))
    try:
        while True:
            count, lines, end = await reading
            total += count
            if end is not None:  # read the next chunk while this one is written
                reading = asyncio.ensure_future(asyncio.to_thread(chunk, end))
            if lines:
                await write(lines)
            if end is None:
                return total
    finally:
        # Let a read in flight finish (a chunk takes tens of ms), so that its connection is
        # back in the pool and closes with it; nobody wants its result now.
        await asyncio.wait([reading])
        if not reading.cancelled():
            reading.exception()
        engine.dispose()
