"""A fan-out in bulk: people on Slack, each with one nudge-like delivery due in the outbox.

Written straight into the tables (the jobs that queue nudges are tested on their own), in a few
statements however many people, so the SIGKILL test and `bench.fanout` start in seconds.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.kernel.messages import Button, Fact, Reply
from storage.engine import make_engine
from storage.tables import Delivery, Identity, Person

CHUNK = 2_000


def nudge(n: int) -> Reply:
    return Reply(
        text=f"PL-2027-{n:04d} starts in 14 days and is not confirmed yet.",
        facts=(Fact("Place", "Ward 12, City Hospital"), Fact("Students", "2")),
        buttons=(
            Button("Confirm", "offer.confirm", f"PL-2027-{n:04d}"),
            Button("Snooze", "nudges.snooze", "2w"),
        ),
    )


def slack_user(n: int) -> str:
    return f"UF{n:07d}"


async def queue_fanout(engine: AsyncEngine, people: int, now: datetime) -> list[int]:
    """`people` new people with Slack identities and one due Slack delivery each; their ids."""
    async with engine.begin() as connection:
        first = (await connection.execute(select(func.coalesce(func.max(Person.id), 0)))).scalar()
        ids = list(range(first + 1, first + 1 + people))
        for start in range(0, people, CHUNK):
            chunk = ids[start : start + CHUNK]
            await connection.execute(
                insert(Person),
                [{"id": i, "display_name": f"Clinician {i}", "created_at": now} for i in chunk],
            )
            await connection.execute(
                insert(Identity),
                [
                    {"person_id": i, "platform": "slack", "tenant": "T0001", "external_id": u}
                    for i, u in ((i, slack_user(i)) for i in chunk)
                ],
            )
            await connection.execute(
                insert(Delivery),
                [
                    {
                        "recipient_id": i,
                        "channel": "slack",
                        "message": nudge(i).to_dict(),
                        "dedupe_key": f"nudge:{i}:{now.date()}",
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                        "maybe_sent": False,
                    }
                    for i in chunk
                ],
            )
        if engine.dialect.name == "postgresql":  # the ids were given, so move the sequence on
            await connection.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('people', 'id'), (SELECT max(id) FROM people))"
            )
    return ids


async def statuses(url: str) -> dict[str, int]:
    """How many outbox rows are in each status."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            found = await connection.execute(
                select(Delivery.status, func.count()).group_by(Delivery.status)
            )
            return {status: count for status, count in found}
    finally:
        await engine.dispose()
