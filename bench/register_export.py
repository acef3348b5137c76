"""The register API's CSV pull against the database's own dump, memory, and incremental sync.

    .venv/bin/python -m bench.register_export [--rows 100000] [--small 10000]

For SQLite and then PostgreSQL: seed the register with `--small` and then `--rows` offers, start
`placebot serve` in its own process for each size, and pull the whole register as CSV through
`GET /api/v1/placements?format=csv`, timed against `sqlite3 -csv` / `psql \\copy ... csv` of the
same rows and columns (the baseline). Peak server memory (VmHWM) is read after each pull. Last,
100 offers change and an incremental pull (`updated_since`, JSON) of them is timed.
Targets: CSV within 3x of the dump, under 50 MB growth from small to large, incremental < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from aiohttp import ClientSession
from sqlalchemy import func, insert, select, update

from bench.servers import ROOT, free_port, migrate, postgres_database, start
from bot import demo
from bot.kernel.clock import FixedClock
from bot.kernel.context import Context
from bot.register import tokens
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.tables import Person, PlacementOffer, Team

T = TypeVar("T")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
DUMP_SQL = """
SELECT o.ref, o.profession, o.status, o.start_date, o.end_date, o.capacity, p.name, p.ods_code,
       s.name, s.ods_code, t.name, o.place_text, o.setting, o.supervision_model, o.student_level,
       o.educator, b.ref, o.notes, o.release_at, o.version, o.created_at, o.updated_at
FROM placement_offers o
LEFT JOIN organisations p ON p.id = o.provider_id
LEFT JOIN sites s ON s.id = o.site_id
LEFT JOIN teams t ON t.id = o.team_id
LEFT JOIN placement_blocks b ON b.id = o.block_id
ORDER BY o.updated_at, o.id
""".strip()


async def prepare(url: str) -> str:
    """Demo organisations and people, and an HEI token; returns the token."""
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    engine = make_engine(url)
    try:
        sessions = make_sessionmaker(engine)
        async with sessions.begin() as session:
            await demo.load(session, FixedClock(at=NOW), settings)
            ctx = Context(session, None, FixedClock(at=NOW), settings, "cli")
            _token, secret = await tokens.create_token(ctx, "University of Nottingham")
        return secret
    finally:
        await engine.dispose()


async def seed(url: str, upto: int) -> None:
    """Offers up to `upto` in all, as a busy register would hold them, in bulk."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            have = await session.scalar(select(func.count(PlacementOffer.id))) or 0
            person = await session.scalar(select(Person.id).limit(1))
            teams = list((await session.execute(select(Team))).unique().scalars())
            rows = []
            for n in range(have, upto):
                team = teams[n % len(teams)]
                start = date(2027, 1, 4) + timedelta(days=7 * (n % 40))
                stamp = NOW + timedelta(microseconds=n)
                rows.append(
                    {
                        "ref": f"PL-{start.year}-{n + 1:06d}",
                        "profession": ("PT", "OT", "SLT", "DIET")[n % 4],
                        "provider_id": team.organisation_id,
                        "site_id": team.site_id,
                        "team_id": team.id,
                        "place_text": f"{team.name}, bay {n % 9}",
                        "setting": ("acute", "community", None)[n % 3],
                        "start_date": start,
                        "end_date": start + timedelta(weeks=6),
                        "capacity": n % 4 + 1,
                        "supervision_model": "2:1" if n % 2 else None,
                        "student_level": "year2",
                        "educator": "Band 6 physiotherapist" if n % 5 else None,
                        "release_at": NOW,
                        "notes": "=parking on site, ask at reception" if n % 7 == 0 else None,
                        "status": "offered",
                        "version": 1,
                        "created_by_id": person,
                        "updated_by_id": person,
                        "created_at": NOW,
                        "updated_at": stamp,
                    }
                )
                if len(rows) == 5000:
                    await session.execute(insert(PlacementOffer), rows)
                    rows = []
            if rows:
                await session.execute(insert(PlacementOffer), rows)
    finally:
        await engine.dispose()


async def change(url: str, count: int) -> str:
    """Change `count` offers as the service would (stamps after the latest); the since-value."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            latest = await session.scalar(select(func.max(PlacementOffer.updated_at)))
            ids = list((await session.execute(select(PlacementOffer.id).limit(count))).scalars())
            for n, offer_id in enumerate(ids, start=1):
                await session.execute(
                    update(PlacementOffer)
                    .where(PlacementOffer.id == offer_id)
                    .values(
                        capacity=PlacementOffer.capacity % 4 + 1,
                        version=PlacementOffer.version + 1,
                        updated_at=latest + timedelta(microseconds=n),
                    )
                )
        return latest.isoformat()
    finally:
        await engine.dispose()


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def pull_csv(port: int, secret: str) -> tuple[float, int]:
    headers = {"Authorization": f"Bearer {secret}", "Accept": "text/csv"}
    lines = 0
    async with ClientSession() as client:
        began = time.perf_counter()
        async with client.get(f"http://127.0.0.1:{port}/api/v1/placements", headers=headers) as r:
            r.raise_for_status()
            async for chunk in r.content.iter_chunked(1 << 16):
                lines += chunk.count(b"\n")
        return time.perf_counter() - began, lines - 1


async def pull_changes(port: int, secret: str, since: str) -> tuple[list[float], int]:
    headers = {"Authorization": f"Bearer {secret}"}
    params = {"updated_since": since, "limit": "100"}
    times, found = [], 0
    async with ClientSession() as client:
        for _ in range(11):
            began = time.perf_counter()
            async with client.get(
                f"http://127.0.0.1:{port}/api/v1/placements", headers=headers, params=params
            ) as response:
                found = len((await response.json())["items"])
            times.append(time.perf_counter() - began)
    return times[1:], found  # the first warms the connection pool


def dump(url: str) -> float:
    """The database's own CSV dump of the same rows, timed."""
    began = time.perf_counter()
    if url.startswith("sqlite"):
        command = ["sqlite3", "-csv", "-header", url.split("///", 1)[1], DUMP_SQL]
    else:
        plain = url.replace("postgresql+asyncpg", "postgresql")
        query = " ".join(DUMP_SQL.split())
        command = ["psql", plain, "-q", "-c", f"\\copy ({query}) TO STDOUT WITH CSV HEADER"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


async def serve_and(url: str, secret: str, job: Callable[[int], Awaitable[T]]) -> tuple[T, float]:
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, PORT=str(port), PLACEBOT_API_RATE_PER_MINUTE="100000")
    process = await start([sys.executable, "-m", "adapters.cli", "serve"], env, port)
    try:
        result = await job(port)
        return result, peak_mb(process.pid)
    finally:
        process.terminate()
        await process.wait()


async def run(url: str, rows: int, small: int) -> dict[str, float]:
    env = dict(os.environ, DATABASE_URL=url)
    await migrate(env)
    secret = await prepare(url)
    figures: dict[str, float] = {}
    for size in (small, rows):
        await seed(url, size)
        (seconds, got), peak = await serve_and(url, secret, lambda p: pull_csv(p, secret))
        if got != size:
            raise RuntimeError(f"pulled {got} rows, expected {size}")
        figures[f"csv_{size}_s"] = seconds
        figures[f"peak_{size}_mb"] = peak
    figures["dump_s"] = min(dump(url) for _ in range(3))
    since = await change(url, 100)
    (times, found), _ = await serve_and(url, secret, lambda p: pull_changes(p, secret, since))
    if found != 100:
        raise RuntimeError(f"incremental pull found {found} rows, expected 100")
    figures["incremental_ms"] = statistics.median(times) * 1000
    return figures


def report(name: str, f: dict[str, float], rows: int, small: int) -> None:
    ratio = f[f"csv_{rows}_s"] / f["dump_s"]
    growth = f[f"peak_{rows}_mb"] - f[f"peak_{small}_mb"]
    print(f"{name}:")
    print(f"  CSV pull of {rows:,} rows via API: {f[f'csv_{rows}_s']:.2f} s")
    print(
        f"  database's own dump:              {f['dump_s']:.2f} s   ratio {ratio:.1f}x "
        f"({'meets' if ratio <= 3 else 'misses'} 3x)"
    )
    print(
        f"  peak server memory: {f[f'peak_{small}_mb']:.0f} MB at {small:,}, "
        f"{f[f'peak_{rows}_mb']:.0f} MB at {rows:,}: growth {growth:.1f} MB "
        f"({'meets' if growth < 50 else 'misses'} < 50 MB)"
    )
    print(
        f"  incremental pull of 100 changed rows: {f['incremental_ms']:.1f} ms median "
        f"({'meets' if f['incremental_ms'] < 50 else 'misses'} < 50 ms)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    args = parser.parse_args()
    if shutil.which("sqlite3") is None or shutil.which("psql") is None:
        sys.exit("needs the sqlite3 and psql command-line tools for the baseline")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        report("SQLite", await run(url, args.rows, args.small), args.rows, args.small)
    async with postgres_database(f"placebot_bench_{uuid.uuid4().hex[:8]}") as url:
        report("PostgreSQL", await run(url, args.rows, args.small), args.rows, args.small)


if __name__ == "__main__":
    os.chdir(ROOT)
    asyncio.run(main())
