"""The register as one CSV stream: the header, then every matching record in change order.

The database writes the CSV (see `register_csv_cells`): PostgreSQL through one
`COPY (SELECT ...) TO STDOUT (FORMAT csv)`, SQLite a whole line per record, a chunk of records
per short transaction so that other requests get the one SQLite connection in between. Either
way memory stays flat, and `write` (the HTTP response or a file) sets the pace.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, String
from sqlalchemy import type_coerce as coerce
from sqlalchemy.ext.asyncio import AsyncSession

from bot.csv_line_ends import CrlfLineEnds
from bot.register_csv_cells import postgres_cells, sqlite_line
from bot.register_queries import PlacementQuery, Position, placements_statement
from bot.register_records import csv_lines
from storage.tables import PlacementOffer

Sink = Callable[[bytes], Awaitable[None]]
Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]

HEADER = "".join(csv_lines([], header=True)).encode()
SQLITE_CHUNK = 5000  # records per SQLite transaction: the lock is held a few tens of ms


async def write_csv(begin: Transaction, query: PlacementQuery, write: Sink) -> int:
    """Every record matching `query` (its page size aside) as RFC 4180 CSV; how many."""
    await write(HEADER)
    async with begin() as session:
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            return await _copy(session, query, write)
    if dialect != "sqlite":
        raise NotImplementedError(f"CSV export on {dialect}")
    return await _sqlite_chunks(begin, query, write)


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


async def _sqlite_chunks(begin: Transaction, query: PlacementQuery, write: Sink) -> int:
    """Chunk after chunk by keyset, each in its own transaction; the next chunk is read while
    the last one is written, so SQLite's thread and the writer work side by side."""
    offer = PlacementOffer
    columns = (offer.id, coerce(offer.updated_at, String), sqlite_line())

    async def read(after: Position | None) -> list[Row[Any]]:
        chunk = dataclasses.replace(query, after=after)
        statement = placements_statement(chunk, columns).limit(SQLITE_CHUNK)
        async with begin() as session:
            connection = await session.connection()  # Core rows: no ORM loading per row
            return list((await connection.execute(statement)).all())

    total = 0
    reading = asyncio.ensure_future(read(query.after))
    try:
        while True:
            rows = await reading
            total += len(rows)
            if len(rows) == SQLITE_CHUNK:
                last_id, stamp, _line = rows[-1]  # stored as naive UTC text
                after = Position(datetime.fromisoformat(stamp).replace(tzinfo=UTC), last_id)
                reading = asyncio.ensure_future(read(after))
            if rows:
                await write("".join([row[2] for row in rows]).encode())
            if len(rows) < SQLITE_CHUNK:
                return total
    finally:
        reading.cancel()
