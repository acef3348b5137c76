"""Nudges: the right reminder to the right person, once, politely.

The scan runs on working days (09:30 Europe/London by default). It first settles earlier
nudges (acted on or ignored: `bot.nudge_outcomes`), then picks at most one nudge a person
(`bot.nudge_rules`) and queues it for the start of their working hours. Each nudge row and its
outbox delivery are written in one transaction; the unique (person, local date) of the nudge
row and the delivery's dedupe key `nudge:{person}:{date}` make a second scan the same day, even
one running at the same moment, queue nothing new.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot import nudge_outcomes, nudge_rules, outbox
from bot.schedule import JobContext
from storage.tables import Nudge

WRITE_BATCH = 200  # nudges per transaction: short write locks, however many people


async def _queue(
    session: AsyncSession, planned: nudge_rules.Planned, today: date, now: datetime
) -> bool:
    """The nudge row, then its delivery; nothing when this person has one today already."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    informational = planned.kind == "training"  # never counts as acted on or ignored
    inserted = await session.execute(
        insert(Nudge)
        .values(
            person_id=planned.person_id,
            kind=planned.kind,
            subject=planned.subject,
            sent_on=today,
            sent_at=now,
            outcome="info" if informational else "open",
            settled_at=now if informational else None,
        )
        .on_conflict_do_nothing(index_elements=["person_id", "sent_on"])
    )
    if inserted.rowcount != 1:
        return False
    await outbox.enqueue(
        session,
        planned.person_id,
        planned.channel,
        planned.reply,
        f"nudge:{planned.person_id}:{today.isoformat()}",
        now,
        not_before=planned.send_at,
    )
    return True


async def scan(ctx: JobContext, slot: datetime) -> str:
    """The working-day nudge scan: settle, choose, queue. Safe to run again."""
    clock, settings = ctx.clock, ctx.settings
    async with ctx.sessions.begin() as session:
        settled = await nudge_outcomes.settle(session, clock, settings)
    async with ctx.sessions.begin() as session:
        planned = await nudge_rules.plan(session, clock, settings)
    queued = 0
    today, now = clock.today(), clock.now()
    for batch in nudge_rules.chunked(planned, WRITE_BATCH):
        async with ctx.sessions.begin() as session:
            for nudge in batch:
                queued += await _queue(session, nudge, today, now)
    return f"{queued} nudges queued; earlier ones: {settled}"
