"""Composing HEI digests: 500 leads over 100,000 placements, in seconds and SQL statements.

    .venv/bin/python -m bench.digest_compose [--placements 100000] [--leads 500]

For SQLite and then PostgreSQL: seed a register in bulk (providers and teams, HEIs with their
professions, leads with their own, placements changed over the last 60 days, waiting requests,
open blocks), then time the digest job's compose step for every weekly lead (the register
watermark, the leads, their changed offers, requests and short blocks, their channels and the
rendered replies), counting the SQL statements it issues. The count must not grow with leads or
placements: no query per lead, none per placement. Target: under 5 s. Last, the whole job
(compose and queue, one outbox row per digest) is timed once for comparison.

`measure` is the reusable part (bench/fanout.py calls it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.servers import ROOT, postgres_database
from bot.delivery.recipients import channels_for
from bot.kernel.clock import FixedClock
from bot.kernel.jobs import JobContext
from bot.reports.digests import job as digests
from bot.reports.digests import message as digest_message
from bot.reports.digests import queries as digest_queries
from config.professions import PROFESSION_CODES
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.tables import (
    Identity,
    Organisation,
    Person,
    PlacementBlock,
    PlacementOffer,
    PlacementRequest,
    RoleGrant,
    Site,
    Team,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SLOT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
PROVIDERS, TEAMS_EACH, HEIS = 20, 10, 50
CHUNK = 5000
STATUSES = ("offered",) * 14 + ("requested", "requested", "confirmed", "confirmed", "withdrawn")


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


async def seed(engine: AsyncEngine, placements: int, leads: int) -> None:
    """A busy register, in bulk inserts, the same every run (a fixed random seed)."""
    chance = random.Random(7)  # test data, not secrets
    async with make_sessionmaker(engine).begin() as session:
        providers = [
            Organisation(kind="provider", name=f"Trust {n}", ods_code=f"R{n:03d}", created_at=NOW)
            for n in range(PROVIDERS)
        ]
        heis = [
            Organisation(
                kind="hei",
                name=f"University {n}",
                ukprn=f"1{n:07d}",
                professions="," + ",".join(chance.sample(PROFESSION_CODES, 3)) + ",",
                created_at=NOW,
            )
            for n in range(HEIS)
        ]
        session.add_all(providers + heis)
        await session.flush()
        sites = [Site(organisation_id=p.id, name=f"Site of {p.name}") for p in providers]
        session.add_all(sites)
        await session.flush()
        teams = [
            Team(organisation_id=site.organisation_id, site_id=site.id, name=f"Team {n}")
            for site in sites
            for n in range(TEAMS_EACH)
        ]
        session.add_all(teams)
        poster = Person(display_name="Poster", created_at=NOW)
        session.add(poster)
        await session.flush()
        people = []
        for n in range(leads):
            hei = heis[n % HEIS]
            codes = hei.professions.strip(",").split(",")
            people.append(
                Person(
                    display_name=f"Lead {n}",
                    organisation_id=hei.id,
                    professions=f",{chance.choice(codes)}," if n % 3 == 0 else "",
                    preferred_channel="local",
                    digest_frequency="weekly",
                    last_digest_at=None if n % 2 else NOW - timedelta(days=chance.uniform(1, 7)),
                    created_at=NOW,
                    roles=[RoleGrant(role="hei_lead", organisation_id=hei.id)],
                )
            )
        session.add_all(people)
        await session.flush()
        session.add_all(
            Identity(person_id=p.id, platform="local", external_id=f"lead-{p.id}") for p in people
        )
        blocks = []
        for n, hei in enumerate(heis * 5):
            start = date(2027, 1, 4) + timedelta(weeks=n % 20)
            blocks.append(
                {
                    "ref": f"BL-{start.year}-{n + 1:05d}",
                    "hei_id": hei.id,
                    "profession": chance.choice(hei.professions.strip(",").split(",")),
                    "cohort": f"year {n % 3 + 1}",
                    "start_date": start,
                    "end_date": start + timedelta(weeks=6),
                    "students": chance.randint(4, 40),
                    "offers_close": date(2026, 12, 1) + timedelta(days=n % 30),
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
        await session.execute(insert(PlacementBlock), blocks)
        rows = []
        for n in range(placements):
            team = teams[n % len(teams)]
            start = date(2027, 1, 4) + timedelta(days=7 * (n % 40))
            updated = NOW - timedelta(seconds=chance.uniform(0, 60 * 86400))
            created = updated - timedelta(seconds=chance.uniform(0, 30 * 86400) * (n % 2))
            rows.append(
                {
                    "ref": f"PL-{start.year}-{n + 1:06d}",
                    "profession": PROFESSION_CODES[n % len(PROFESSION_CODES)],
                    "provider_id": team.organisation_id,
                    "site_id": team.site_id,
                    "team_id": team.id,
                    "place_text": f"{team.name}, bay {n % 9}",
                    "start_date": start,
                    "end_date": start + timedelta(weeks=6),
                    "capacity": n % 4 + 1,
                    "release_at": created,
                    "status": STATUSES[n % len(STATUSES)],
                    "version": 1,
                    "created_by_id": poster.id,
                    "updated_by_id": poster.id,
                    "created_at": created,
                    "updated_at": updated,
                }
            )
        for chunk in _chunks(rows):
            await session.execute(insert(PlacementOffer), chunk)
        offer_ids = list(
            (await session.execute(select(PlacementOffer.id).limit(placements // 50))).scalars()
        )
        requests = [
            {
                "offer_id": offer_id,
                "hei_id": heis[n % HEIS].id,
                "students": 1,
                "status": ("held", "pending", "confirmed")[n % 3],
                "created_at": NOW,
            }
            for n, offer_id in enumerate(offer_ids)
        ]
        for chunk in _chunks(requests):
            await session.execute(insert(PlacementRequest), chunk)


async def read_changed(engine: AsyncEngine, oldest: datetime, expected: int) -> float:
    """The baseline: the driver alone reading the changed offers' columns once, best of three."""
    columns = (
        "o.ref, o.profession, o.place_text, t.name, s.name, o.start_date, o.end_date, "
        "o.capacity, o.status, o.created_at, o.updated_at"
    )
    sql = (
        f"SELECT {columns} FROM placement_offers o LEFT JOIN teams t ON t.id = o.team_id "
        "LEFT JOIN sites s ON s.id = o.site_id WHERE o.updated_at > :oldest"
    )
    if engine.dialect.name == "sqlite":  # stored as UTC text, as storage.types writes it
        marker, since = "?", oldest.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    else:
        marker, since = "$1", oldest
    best = float("inf")
    async with engine.connect() as connection:
        for _ in range(3):
            began = time.perf_counter()
            rows = (
                await connection.exec_driver_sql(sql.replace(":oldest", marker), (since,))
            ).all()
            best = min(best, time.perf_counter() - began)
            if len(rows) != expected:
                raise RuntimeError(f"the baseline read {len(rows)} rows, expected {expected}")
    return best


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[list[int]]:
    """Counts the SQL statements sent on `engine` inside the block."""
    count = [0]

    def tally(*_: object) -> None:
        count[0] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", tally)
    try:
        yield count
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", tally)


async def measure(
    database_url: str, placements: int = 100_000, leads: int = 500
) -> dict[str, float]:
    """Seed an empty database at `database_url`, then time composing every lead's digest.

    Returns seconds and statements for the compose step, the digests composed, the changed
    offers they drew on, and the whole job's seconds (compose and queue)."""
    clock = FixedClock(at=NOW)
    settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        await seed(engine, placements, leads)
        sessions = make_sessionmaker(engine)
        with counting(engine) as statements:
            began = time.perf_counter()
            async with sessions.begin() as session:
                until = await digests.register_watermark(session, clock, settings)
            async with sessions() as session:
                composed = await digest_queries.compose(
                    session, "weekly", until, clock.today(), clock.now()
                )
                channels = await channels_for(session, {d.lead.person_id for d in composed})
            replies = [digest_message.digest_reply(d, clock, settings) for d in composed]
            seconds = time.perf_counter() - began
        async with sessions() as session:
            oldest = min(d.lead.since for d in composed)
            changed = await session.scalar(
                select(func.count(PlacementOffer.id)).where(PlacementOffer.updated_at > oldest)
            )
        baseline = await read_changed(engine, oldest, changed or 0)
        began = time.perf_counter()
        result = await digests.weekly(JobContext(sessions, clock, settings), SLOT)
        job_seconds = time.perf_counter() - began
        if not result.startswith(f"{len(replies)} weekly digests queued"):
            raise RuntimeError(f"expected {len(replies)} digests queued: {result}")
        return {
            "seconds": seconds,
            "statements": float(statements[0]),
            "digests": float(len(replies)),
            "reachable": float(len(channels)),
            "placements": float(placements),
            "changed_offers": float(changed or 0),
            "baseline_seconds": baseline,
            "job_seconds": job_seconds,
        }
    finally:
        await engine.dispose()


def report(name: str, figures: dict[str, float]) -> None:
    verdict = "meets" if figures["seconds"] < 5 else "misses"
    print(f"{name}:")
    print(
        f"  compose {figures['digests']:.0f} digests over {figures['placements']:,.0f} placements "
        f"({figures['changed_offers']:,.0f} changed in the widest window): "
        f"{figures['seconds']:.2f} s ({verdict} < 5 s)"
    )
    print(
        f"  the driver alone reading those changed rows: {figures['baseline_seconds']:.2f} s, "
        f"compose {figures['seconds'] / figures['baseline_seconds']:.1f}x that"
    )
    print(f"  SQL statements while composing: {figures['statements']:.0f}")
    print(f"  whole job, compose and queue one outbox row each: {figures['job_seconds']:.2f} s")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--placements", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        report("SQLite", await measure(url, args.placements, args.leads))
    async with postgres_database(f"placebot_bench_{uuid.uuid4().hex[:8]}") as url:
        report("PostgreSQL", await measure(url, args.placements, args.leads))


if __name__ == "__main__":
    os.chdir(ROOT)
    asyncio.run(main())
