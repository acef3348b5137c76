"""Servers under measurement run in their own processes; these start them and wait for them."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text

from storage.engine import make_engine

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get(
    "PLACEBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_until_up(port: int, process: asyncio.subprocess.Process) -> None:
    for _ in range(200):
        if process.returncode is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


async def migrate(env: dict[str, str]) -> None:
    """`placebot migrate` against the database in `env`."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "adapters.cli",
        "migrate",
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    if await process.wait() != 0:
        raise RuntimeError("placebot migrate failed")


async def start(command: list[str], env: dict[str, str], port: int) -> asyncio.subprocess.Process:
    """Start a server and wait for its port; BENCH_SERVER_LOG keeps its stderr for debugging."""
    log = open(os.environ.get("BENCH_SERVER_LOG", os.devnull), "ab")  # noqa: SIM115, ASYNC230
    process = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log
    )
    await wait_until_up(port, process)
    return process


@asynccontextmanager
async def postgres_database(name: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL database for one benchmark run, dropped afterwards."""
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin(statement: str) -> None:
    engine = make_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()
