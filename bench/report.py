"""The faculty report over 100,000 placements: the report page through the HTTP server, and
`placebot report progress`, against one hand-written SQL query computing the same aggregates.

    .venv/bin/python -m bench.report [--placements 100000] [--answers 5000] [--runs 5]

For SQLite and then PostgreSQL: seed a register in bulk (providers of the four types, sites and
teams, placements over this academic year and the last in every status, with settings and
supervision models, confirmed and waiting HEI requests, 5,000 capacity answers to blocks, nudges
this term and failed deliveries), start `placebot serve` in its own process, then, best of
`--runs` after one warm-up:

- page: the faculty lead's report page (GET /report?t=..., read to its last byte);
- report: `placebot report progress` in this process (its engine, its queries, the text);
- raw: one hand-written SQL statement (UNION ALL of the groupings) through the same driver,
  computing every figure the page's progress tables show, which are checked equal to it.

Target: the page within 3x of the raw query. `placebot report progress` as a whole process
(interpreter start and imports included) is timed once for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters import cli_report
from bench.servers import ROOT, free_port, postgres_database, start
from bot.kernel.academic_year import AcademicYear, academic_year
from bot.kernel.clock import Clock
from bot.reports import links, progress
from bot.reports.progress_sql import Counts, label
from config.professions import PROFESSION_CODES
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.tables import (
    CapacityAnswer,
    Delivery,
    Nudge,
    Organisation,
    Person,
    PlacementBlock,
    PlacementOffer,
    PlacementRequest,
    RoleGrant,
    Site,
    Target,
    Team,
)

SECRET = "bench-report-link-secret-" + "x" * 24
CHUNK = 5000
PROVIDER_TYPES = ("nhs_trust", "local_authority", "independent", "voluntary", None)
SETTINGS = ("acute", "community", "mental_health", "primary_care", "social_care", None)
MODELS = ("1:1", "2:1", "3:1", "long-arm", "peer", "virtual", None)
THIS_YEAR = (
    ("offered",) * 6
    + ("requested",) * 2
    + ("confirmed",) * 4
    + ("completed",) * 3
    + ("withdrawn", "expired", "awaiting")
)
LAST_YEAR = ("completed",) * 7 + ("withdrawn", "expired")


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for begin in range(0, len(rows), CHUNK):
        yield rows[begin : begin + CHUNK]


async def seed(engine: AsyncEngine, year: AcademicYear, placements: int, answers: int) -> int:
    """A busy faculty, in bulk inserts, the same every run; the faculty lead's id."""
    chance = random.Random(11)  # test data, not secrets
    now = datetime.now(UTC)
    last = academic_year(year.start.replace(year=year.start.year - 1))
    async with make_sessionmaker(engine).begin() as session:
        providers = [
            Organisation(
                kind="provider",
                name=f"Provider {n}",
                ods_code=f"R{n:03d}",
                provider_type=PROVIDER_TYPES[n % len(PROVIDER_TYPES)],
                created_at=now,
            )
            for n in range(40)
        ]
        hei = Organisation(kind="hei", name="University", ukprn="10000001", created_at=now)
        session.add_all([*providers, hei])
        await session.flush()
        sites = [Site(organisation_id=p.id, name=f"Site {n}") for n, p in enumerate(providers * 3)]
        session.add_all(sites)
        await session.flush()
        teams = [
            Team(organisation_id=s.organisation_id, site_id=s.id, name=f"Team {n}")
            for n, s in enumerate(sites * 4)
        ]
        session.add_all(teams)
        lead = Person(
            display_name="Faculty lead", created_at=now, roles=[RoleGrant(role="faculty_lead")]
        )
        clinicians = [Person(display_name=f"Clinician {n}", created_at=now) for n in range(400)]
        session.add_all([lead, *clinicians])
        await session.flush()
        for n, person in enumerate(clinicians):
            person.team_id = teams[n % len(teams)].id
        session.add_all(
            Target(
                profession=code,
                academic_year=year.label,
                extra_placements=20 + n,
                baseline=None if n % 4 == 0 else 100 + n,
            )
            for n, code in enumerate(PROFESSION_CODES)
        )
        rows = []
        for n in range(placements):
            this = n % 5 < 3
            within = year if this else last
            start_day = within.start + timedelta(days=chance.randrange(0, 330))
            # A fifth of teams offer only this year: previously untapped capacity.
            team = teams[n % (len(teams) if this else len(teams) * 4 // 5)]
            where = n % 20
            rows.append(
                {
                    "ref": f"PL-{start_day.year}-{n + 1:06d}",
                    "profession": PROFESSION_CODES[n % len(PROFESSION_CODES)],
                    "provider_id": None if where == 0 else team.organisation_id,
                    "site_id": None if where < 2 else team.site_id,
                    "team_id": None if where < 4 else team.id,
                    "place_text": f"Place {n % 97}",
                    "setting": chance.choice(SETTINGS),
                    "supervision_model": chance.choice(MODELS),
                    "start_date": start_day,
                    "end_date": start_day + timedelta(days=chance.choice((13, 27, 41, 55))),
                    "capacity": n % 3 + 1,
                    "release_at": now,
                    "status": chance.choice(THIS_YEAR if this else LAST_YEAR),
                    "version": 1,
                    "created_by_id": lead.id,
                    "updated_by_id": lead.id,
                    "created_at": now - timedelta(days=chance.randrange(1, 400)),
                    "updated_at": now,
                }
            )
        for chunk in _chunks(rows):
            await session.execute(insert(PlacementOffer), chunk)
        placed = list(
            (
                await session.execute(
                    select(PlacementOffer.id, PlacementOffer.capacity).where(
                        PlacementOffer.status.in_(("confirmed", "completed", "requested"))
                    )
                )
            ).all()
        )
        requests = [
            {
                "offer_id": offer_id,
                "hei_id": hei.id,
                "students": max(1, capacity - n % 2),
                "status": ("confirmed", "confirmed", "pending")[n % 3],
                "created_at": now,
            }
            for n, (offer_id, capacity) in enumerate(placed[::2])
        ]
        for chunk in _chunks(requests):
            await session.execute(insert(PlacementRequest), chunk)
        blocks = [
            {
                "ref": f"BL-{year.start.year + 1}-{n + 1:04d}",
                "hei_id": hei.id,
                "profession": PROFESSION_CODES[n % len(PROFESSION_CODES)],
                "cohort": f"year {n % 3 + 1}",
                "start_date": year.start + timedelta(days=120 + n % 90),
                "end_date": year.start + timedelta(days=160 + n % 90),
                "students": 10 + n % 20,
                "offers_close": year.start + timedelta(days=100),
                "created_at": now,
                "updated_at": now,
            }
            for n in range(250)
        ]
        await session.execute(insert(PlacementBlock), blocks)
        block_ids = list((await session.execute(select(PlacementBlock.id))).scalars())
        chosen = [(b, t) for b in block_ids for t in teams][
            :: max(1, len(block_ids) * len(teams) // answers)
        ]
        await session.execute(
            insert(CapacityAnswer),
            [
                {
                    "block_id": block_id,
                    "respondent_key": f"team:{team.id}",
                    "team_id": team.id,
                    "person_id": clinicians[n % len(clinicians)].id,
                    "answer": ("offering", "maybe", "no_capacity")[n % 3],
                    "answered_at": now - timedelta(days=n % 60),
                }
                for n, (block_id, team) in enumerate(chosen[:answers])
            ],
        )
        await session.execute(
            insert(Nudge),
            [
                {
                    "person_id": person.id,
                    "kind": ("block", "offer_start", "training")[(n + k) % 3],
                    "subject": f"BL-{n}",
                    "sent_on": (now - timedelta(days=7 * k + n % 7)).date(),
                    "sent_at": now - timedelta(days=7 * k + n % 7),
                    "outcome": "open",
                }
                for k in range(5)
                for n, person in enumerate(clinicians)
            ],
        )
        await session.execute(
            insert(Delivery),
            [
                {
                    "recipient_id": clinicians[n].id,
                    "channel": "email",
                    "message": {"text": "hello"},
                    "dedupe_key": f"nudge:{n}:bench",
                    "status": "failed",
                    "attempts": 5,
                    "next_attempt_at": now,
                    "last_error": "550 mailbox not found",
                    "created_at": now - timedelta(days=n % 10),
                }
                for n in range(40)
            ],
        )
    async with engine.connect() as connection:  # statistics, as autovacuum would gather them
        await connection.execute(text("ANALYZE"))
        await connection.commit()
    return lead.id


def raw_sql(dialect: str) -> str:
    """Every figure of the progress tables in one statement, written by hand."""
    if dialect == "sqlite":
        days = "CAST(julianday(po.end_date) - julianday(po.start_date) AS INTEGER)"
    else:
        days = "(po.end_date - po.start_date)"
    sums = (
        "COUNT(*), SUM(capacity), SUM(capacity * weeks), "
        "SUM(CASE WHEN placed > 0 THEN 1 ELSE 0 END), SUM(placed), SUM(placed * weeks), "
        "SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END), SUM(done), SUM(still_open)"
    )
    return f"""
WITH cf AS (
  SELECT offer_id, SUM(students) AS students FROM placement_requests
  WHERE status = 'confirmed' GROUP BY offer_id
), o AS (
  SELECT po.profession, po.status, po.capacity, po.setting, po.supervision_model,
         po.team_id, po.site_id, org.provider_type,
         CASE WHEN po.start_date >= :year_start THEN 'this' ELSE 'last' END AS yr,
         CASE WHEN {days} < 0 THEN 1 ELSE ({days} + 7) / 7 END AS weeks,
         CASE WHEN po.status IN ('confirmed', 'completed') THEN COALESCE(cf.students, po.capacity)
              WHEN po.status IN ('offered', 'requested') THEN COALESCE(cf.students, 0)
              ELSE 0 END AS placed,
         CASE WHEN po.status = 'completed' THEN COALESCE(cf.students, po.capacity)
              ELSE 0 END AS done,
         CASE WHEN po.status IN ('offered', 'requested') THEN po.capacity - COALESCE(cf.students, 0)
              WHEN po.status = 'confirmed' THEN po.capacity - COALESCE(cf.students, po.capacity)
              ELSE 0 END AS still_open
  FROM placement_offers po
  LEFT JOIN cf ON cf.offer_id = po.id
  LEFT JOIN organisations org ON org.id = po.provider_id
  WHERE po.status IN ('offered', 'requested', 'confirmed', 'completed')
    AND po.start_date >= :last_start AND po.start_date <= :year_end
), t AS (
  SELECT o.*,
         CASE WHEN team_id IS NOT NULL THEN
                CASE WHEN team_id IN (SELECT team_id FROM o WHERE yr = 'last'
                                      AND team_id IS NOT NULL) THEN 'returning' ELSE 'first' END
              WHEN site_id IS NOT NULL THEN
                CASE WHEN site_id IN (SELECT site_id FROM o WHERE yr = 'last'
                                      AND site_id IS NOT NULL) THEN 'returning' ELSE 'first' END
              ELSE 'unmatched' END AS first_time
  FROM o WHERE yr = 'this'
)
SELECT 'all', profession, yr, {sums} FROM o GROUP BY profession, yr
UNION ALL SELECT 'provider_type', profession, provider_type, {sums} FROM t
  GROUP BY profession, provider_type
UNION ALL SELECT 'setting', profession, setting, {sums} FROM t GROUP BY profession, setting
UNION ALL SELECT 'supervision', profession, supervision_model, {sums} FROM t
  GROUP BY profession, supervision_model
UNION ALL SELECT 'first_time', profession, first_time, {sums} FROM t
  GROUP BY profession, first_time
"""


async def raw(engine: AsyncEngine, year: AcademicYear) -> dict[tuple[str, str, str], Counts]:
    last = academic_year(year.start.replace(year=year.start.year - 1))
    params = {"year_start": year.start, "last_start": last.start, "year_end": year.end}
    async with engine.connect() as connection:
        rows = await connection.execute(text(raw_sql(engine.dialect.name)), params)
        return {
            (kind, code, str(value)): Counts(*(int(n or 0) for n in numbers))
            for kind, code, value, *numbers in rows
        }


def expected(report: progress.Report) -> dict[tuple[str, str, str], Counts]:
    """The module's figures keyed as the raw query keys them (new-this-week left out)."""
    found = {}
    for line in report.professions:
        for yr, counts in (("this", line.counts), ("last", line.last_year)):
            if counts.placements:
                found[("all", line.profession, yr)] = counts
    for share in report.breakdowns:
        found[(share.dimension, share.profession, share.value)] = share.counts
    return found


def relabelled(rows: dict[tuple[str, str, str], Counts]) -> dict[tuple[str, str, str], Counts]:
    return {
        (
            kind,
            code,
            value if kind == "all" else label(kind, None if value == "None" else value),
        ): counts
        for (kind, code, value), counts in rows.items()
    }


async def best(runs: int, work: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """(best, median) seconds of `runs` runs after one warm-up."""
    await work()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        await work()
        times.append(time.perf_counter() - began)
    return min(times), statistics.median(times)


async def cli_process(env: dict[str, str]) -> float:
    began = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "adapters.cli",
        "report",
        "progress",
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    if await process.wait() != 0:
        raise RuntimeError("placebot report progress failed")
    return time.perf_counter() - began


async def measure(database_url: str, placements: int, answers: int, runs: int) -> dict[str, Any]:
    port = free_port()
    settings = Settings(
        database_url=database_url,
        host="127.0.0.1",
        port=port,
        placebot_link_secret=SECRET,
        _env_file=None,
    )  # type: ignore[call-arg]
    clock = Clock(zone=settings.timezone)
    year = academic_year(clock.today())
    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        lead = await seed(engine, year, placements, answers)
        env = os.environ | {
            "DATABASE_URL": database_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "PLACEBOT_LINK_SECRET": SECRET,
            "PLACEBOT_LOG_FORMAT": "text",
        }
        async with make_sessionmaker(engine)() as session:
            report = await progress.report(session, year)
        raw_rows = await raw(engine, year)
        if relabelled(raw_rows) != expected(report):
            raise RuntimeError("the raw query and the report module disagree")
        server = await start([sys.executable, "-m", "adapters.cli", "serve"], env, port)
        try:
            link = links.report_link(settings, clock, lead)
            size = [0]
            async with aiohttp.ClientSession() as client:

                async def page() -> None:
                    async with client.get(link) as response:
                        body = await response.read()
                        if response.status != 200:
                            raise RuntimeError(f"report page answered {response.status}")
                        size[0] = len(body)

                page_best, page_median = await best(runs, page)
        finally:
            server.terminate()
            await server.wait()

        async def report_verb() -> None:
            cli_report.text(await cli_report.build(settings, None))

        report_best, report_median = await best(runs, report_verb)
        raw_best, raw_median = await best(runs, lambda: raw(engine, year))
        whole = await cli_process(env)
        return {
            "placements": placements,
            "answers": answers,
            "page": (page_best, page_median),
            "page_bytes": size[0],
            "report": (report_best, report_median),
            "raw": (raw_best, raw_median),
            "process": whole,
            "confirmed": report.totals.confirmed,
        }
    finally:
        await engine.dispose()


def show(name: str, f: dict[str, Any]) -> None:
    raw_best = f["raw"][0]
    page_ratio = f["page"][0] / raw_best
    print(
        f"{name}: {f['placements']:,} placements, {f['answers']:,} capacity answers, "
        f"{f['confirmed']:,} students confirmed this year"
    )
    print(
        f"  raw SQL, one statement:   best {raw_best * 1000:7.1f} ms, "
        f"median {f['raw'][1] * 1000:7.1f} ms"
    )
    print(
        f"  report page over HTTP:    best {f['page'][0] * 1000:7.1f} ms, "
        f"median {f['page'][1] * 1000:7.1f} ms, {f['page_bytes']:,} bytes: "
        f"{page_ratio:.2f}x raw ({'meets' if page_ratio <= 3 else 'misses'} <= 3x)"
    )
    print(
        f"  placebot report progress: best {f['report'][0] * 1000:7.1f} ms, "
        f"median {f['report'][1] * 1000:7.1f} ms: {f['report'][0] / raw_best:.2f}x raw"
    )
    print(f"  the same as a whole process (start-up and imports): {f['process']:.2f} s")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--placements", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        show("SQLite", await measure(url, args.placements, args.answers, args.runs))
    async with postgres_database(f"placebot_bench_{uuid.uuid4().hex[:8]}") as url:
        show("PostgreSQL", await measure(url, args.placements, args.answers, args.runs))


if __name__ == "__main__":
    os.chdir(ROOT)
    asyncio.run(main())
