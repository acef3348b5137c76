"""Nudges: the right reminder to the right person, once, politely.

The scan runs on working days (09:30 Europe/London by default). It first settles earlier
nudges (acted on or ignored: `bot.nudges.outcomes`), then picks at most one nudge a person
(`bot.nudges.plan`, by the rules in `bot.nudges.rules`) and queues it for the start of their
working hours. Each nudge row and its outbox delivery are written in one transaction; the
unique (person, local date) of the nudge row and the delivery's dedupe key
`nudge:{person}:{date}` (`bot.nudges.keys`) make a second scan the same day, even one running
at the same moment, queue nothing new. A nudge is for today only: its delivery expires at the
end of the person's working hours, and is cancelled when they turn nudges off or snooze them,
or when its subject is answered before it goes (`bot.nudges.withdrawal`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.tell import ForPerson, tell_many
from bot.kernel.jobs import JobContext
from bot.nudges import keys, outcomes, plan
from storage.batches import batches
from storage.tables import Nudge
from storage.upsert import insert

WRITE_BATCH = 500  # nudges per transaction: short write locks, however many people


async def _queue(
    session: AsyncSession, batch: list[plan.Planned], today: date, now: datetime
) -> int:
    """The nudge rows, then the deliveries of those that were new: a person who has a nudge
    today already (a second scan, perhaps at the same moment) gets nothing more."""
    rows = [
        {
            "person_id": p.person_id,
            "kind": p.kind,
            "subject": p.subject,
            "sent_on": today,
            "sent_at": now,
            # Training is information: it never counts as acted on or ignored.
            "outcome": "info" if p.kind == "training" else "open",
            "settled_at": now if p.kind == "training" else None,
        }
        for p in batch
    ]
    connection = await session.connection()  # Core executemany: one cached statement
    new = set(
        (
            await connection.execute(
                insert(session, Nudge)
                .on_conflict_do_nothing(index_elements=["person_id", "sent_on"])
                .returning(Nudge.person_id),
                rows,
            )
        ).scalars()
    )
    await tell_many(
        session,
        [
            ForPerson(p.person_id, p.reply, keys.key(p.person_id, today), p.send_at, p.expires_at)
            for p in batch
            if p.person_id in new
        ],
        now,
    )
    return len(new)


async def scan(ctx: JobContext, slot: datetime) -> str:
    """The working-day nudge scan: settle, choose, queue. Safe to run again."""
    clock, settings = ctx.clock, ctx.settings
    async with ctx.sessions.begin() as session:
        settled = await outcomes.settle(session, clock, settings)
    async with ctx.sessions.begin() as session:
        planned = await plan.plan(session, clock, settings)
    queued = 0
    today, now = clock.today(), clock.now()
    for batch in batches(planned, WRITE_BATCH):
        async with ctx.sessions.begin() as session:
            queued += await _queue(session, batch, today, now)
    return f"{queued} nudge{'' if queued == 1 else 's'} queued; earlier ones: {settled}"
