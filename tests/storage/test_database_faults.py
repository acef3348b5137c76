"""Database faults: a connection that broke is replaced, a transaction that met one runs again, a
statement that cannot finish fails fast with the polite reply, and the worker logs an outage once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from adapters.worker import build_worker
from bot.chat.placebot import PlaceBot
from bot.kernel.messages import Actor, Command
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.tables import Person
from storage.transactions import in_transaction
from tests.support.locks import people_locked

TRY_AGAIN = "Please try again in a minute."


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(30):  # a guard against a hung run, not a measure
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)


async def backend_pid(session: AsyncSession) -> int:
    return int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def pid_of(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def terminate(url: str, pid: int) -> None:
    """From another connection, as a database restart or a failover would."""
    other = make_engine(url)
    try:
        async with other.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await other.dispose()


async def test_a_pooled_connection_that_was_killed_is_replaced_before_use(
    postgres_url: str,
) -> None:
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:  # the one pooled connection
            pid = int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())
        await terminate(postgres_url, pid)
        async with engine.begin() as connection:  # checked out: found dead, replaced
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
        await terminate(postgres_url, await pid_of(engine))
        bot = PlaceBot(make_sessionmaker(engine), Settings(database_url=postgres_url))
        reply = await bot.handle(Command(Actor("local", "u1", display_name="Ada"), text="help"))
        assert TRY_AGAIN not in reply.text
        async with engine.connect() as connection:
            now = int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())
        assert now != pid
    finally:
        await engine.dispose()


async def test_a_transaction_whose_connection_broke_mid_way_runs_once_more(
    postgres_url: str,
) -> None:
    engine = make_engine(postgres_url)
    sessions = make_sessionmaker(engine)
    runs: list[int] = []

    async def work(session: AsyncSession) -> int:
        pid = await backend_pid(session)
        runs.append(pid)
        if len(runs) == 1:
            await terminate(postgres_url, pid)  # the connection dies inside the transaction
        session.add(Person(display_name="Ada", created_at=datetime.now(UTC)))
        await session.flush()
        return pid

    async def people() -> int:
        async with sessions() as session:
            return int((await session.execute(select(func.count()).select_from(Person))).scalar())

    try:
        before = await people()
        pid = await in_transaction(sessions, work)
        assert len(runs) == 2 and pid != runs[0]
        assert await people() == before + 1  # stored once, by the second run
    finally:
        await engine.dispose()


async def test_a_statement_past_its_timeout_fails_fast_with_the_polite_reply(
    database_url: str,
) -> None:
    engine = make_engine(database_url, statement_timeout=1.0)
    bot = PlaceBot(make_sessionmaker(engine), Settings(database_url=database_url))
    try:
        async with people_locked(database_url, "ACCESS EXCLUSIVE"):
            began = time.monotonic()
            async with asyncio.timeout(30):  # a guard: the assertion below is the test
                reply = await bot.handle(
                    Command(Actor("local", "u1", display_name="Ada"), text="help")
                )
            took = time.monotonic() - began
        assert TRY_AGAIN in reply.text
        assert took < 5, f"took {took:.1f} s"
        reply = await bot.handle(Command(Actor("local", "u1", display_name="Ada"), text="help"))
        assert TRY_AGAIN not in reply.text  # and the next one, with the database free, works
    finally:
        await engine.dispose()


async def test_the_worker_logs_an_outage_once_and_its_end_once(
    engine: AsyncEngine, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(database_url=database_url, placebot_outbox_poll_seconds=0.01)
    worker = build_worker(engine, settings)
    down = make_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none", statement_timeout=1)
    worker.sender.sessions = make_sessionmaker(down)  # a database nobody answers for
    caplog.set_level(logging.INFO, logger="bot.runtime.worker")
    sending = asyncio.create_task(worker._send_forever())
    try:
        await until(lambda: worker.outbox_outage.failures >= 20)
        worker.sender.sessions = make_sessionmaker(engine)  # it is back
        await until(lambda: worker.outbox_outage.since is None)
    finally:
        worker.stop()
        await sending
        await down.dispose()
    lines = [record for record in caplog.records if record.name == "bot.runtime.worker"]
    assert [record.levelno for record in lines] == [logging.ERROR, logging.WARNING]
    assert "outbox sender failing" in lines[0].getMessage()
    assert "recovered" in lines[1].getMessage()
    assert all(record.exc_info is None for record in lines)
