"""SQLite statements make one thread hop each; results of any size still arrive whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage.engine import make_engine
from storage.sqlite_driver import BATCH


async def test_results_of_several_batches_arrive_whole_read_or_streamed(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'rows.db'}")
    rows = 2 * BATCH + 7
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE numbers (n INTEGER PRIMARY KEY)"))
            await connection.execute(
                text("INSERT INTO numbers (n) VALUES (:n)"), [{"n": n} for n in range(rows)]
            )
        async with engine.connect() as connection:
            read = (await connection.execute(text("SELECT n FROM numbers ORDER BY n"))).all()
            streamed = [
                row.n
                async for row in await connection.stream(
                    text("SELECT n FROM numbers ORDER BY n").execution_options(yield_per=100)
                )
            ]
            one = (await connection.execute(text("SELECT n FROM numbers WHERE n = 3"))).one()
        assert [row.n for row in read] == streamed == list(range(rows))
        assert one.n == 3
    finally:
        await engine.dispose()


async def test_a_failed_statement_rolls_back_and_the_connection_goes_on(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'fail.db'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE keys (k TEXT PRIMARY KEY)"))
            await connection.execute(text("INSERT INTO keys VALUES ('a')"))
        async with engine.connect() as connection:
            await connection.execute(text("INSERT INTO keys VALUES ('b')"))
            with pytest.raises(IntegrityError):
                await connection.execute(text("INSERT INTO keys VALUES ('a')"))
            await connection.rollback()
        async with engine.begin():
            pass  # a transaction in which nothing ran
        async with engine.connect() as connection:
            keys = (await connection.execute(text("SELECT k FROM keys"))).scalars().all()
        assert keys == ["a"]  # 'b' went with the failed transaction
    finally:
        await engine.dispose()
