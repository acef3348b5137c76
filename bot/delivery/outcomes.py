"""What became of each send, written back to the outbox: sent, retried with backoff (or after
the platform's Retry-After), or parked as failed. Only rows whose lease is still the sender's
are written, so a sender whose lease ran out never records over a row another sender took."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.results import Outcome, Result
from bot.kernel import metrics
from storage.tables import Delivery

MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(seconds=30)


async def record(
    session: AsyncSession, done: list[Result], lease_until: datetime, now: datetime
) -> None:
    """Two statements for any number of rows: one for those sent, one for the rest."""
    ours = (Delivery.status == "sending", Delivery.next_attempt_at == lease_until)
    sent = [r.row.id for r in done if r.delivered]
    others = [r for r in done if not r.delivered]
    if sent:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(sent), *ours)
            .values(
                status="sent",
                sent_at=now,
                attempts=Delivery.attempts + 1,
                last_error=None,
                maybe_sent=False,
            )
            .execution_options(synchronize_session=False)
        )
    if others:
        table = Delivery.__table__
        await (await session.connection()).execute(
            update(table)
            .where(
                table.c.id == bindparam("row_id"),
                table.c.status == "sending",
                table.c.next_attempt_at == lease_until,
            )
            .values(
                status=bindparam("row_status"),
                next_attempt_at=bindparam("row_next"),
                attempts=bindparam("row_attempts"),
                last_error=bindparam("row_error"),
                maybe_sent=bindparam("row_maybe_sent"),
            ),
            [retry_values(r, now) for r in others],
        )


def count(done: list[Result], outcome: Outcome, now: datetime) -> None:
    """Add the results to the run's outcome and to the deliveries metric."""
    outcome.sent += sum(1 for r in done if r.delivered)
    for result in done:
        if result.delivered:
            counted = "sent"
        elif not result.tried:
            outcome.deferred += 1
            continue
        elif result.retry_after is not None:
            outcome.retried += 1
            counted = "rate_limited"
        elif retry_values(result, now)["row_status"] == "failed":
            outcome.failed += 1
            counted = "failed"
        else:
            outcome.retried += 1
            counted = "retried"
        metrics.count("deliveries", channel=result.row.channel, outcome=counted)


def retry_values(result: Result, now: datetime) -> dict[str, Any]:
    row = result.row
    # A 429 or a deferral is the platform refusing, not a failed try: it never parks a row.
    attempts = row.attempts + 1 if result.tried and result.retry_after is None else row.attempts
    if result.retry_after is not None:
        status, when = "pending", now + timedelta(seconds=result.retry_after)
    elif attempts < MAX_ATTEMPTS and not result.permanent:
        status, when = "pending", now + FIRST_RETRY * 2 ** (attempts - 1)
    else:
        status, when = "failed", now
    return {
        "row_id": row.id,
        "row_status": status,
        "row_next": when,
        "row_attempts": attempts,
        "row_error": result.error,
        "row_maybe_sent": row.maybe_sent or result.in_doubt,
    }
