"""The scheduled digest run: take the register's watermark, compose every due lead's digest,
and queue those with something to say.

Nothing is sent when no offer changed, unless PLACEBOT_DIGEST_SEND_EMPTY. Exactly once: each
digest is one outbox row with the key `digest:{hei}:{lead}:{2027-W05}` (weekly, ISO week of the
slot's local date) or `digest:{hei}:{lead}:{2027-02-01}` (daily), and the lead's
`last_digest_at` moves on in the same transaction, only when the row was written (or nothing
needed sending), so a second run of a slot changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.recipients import reachable
from bot.delivery.tell import ForPerson, tell_many
from bot.kernel.clock import Clock
from bot.kernel.context import Context
from bot.kernel.jobs import JobContext
from bot.register.changes import TICK, lock_register
from bot.reports.digests.message import digest_reply
from bot.reports.digests.queries import Digest, compose
from config.settings import Settings
from storage.tables import Person, PlacementOffer


async def register_watermark(session: AsyncSession, clock: Clock, settings: Settings) -> datetime:
    """The latest change stamp every writer has committed: taking the register lock waits for
    writers that stamped already, and later ones stamp after it (`bot.register.changes`)."""
    await lock_register(Context(session, None, clock, settings, "system"))
    latest = await session.scalar(select(func.max(PlacementOffer.updated_at)))
    return latest if latest is not None else clock.now() - TICK


def dedupe_key(digest: Digest, frequency: str, slot: datetime, clock: Clock) -> str:
    day = clock.local(slot).date()
    if frequency == "weekly":
        year, week, _ = day.isocalendar()
        period = f"{year}-W{week:02d}"
    else:
        period = day.isoformat()
    return f"digest:{digest.lead.hei_id}:{digest.lead.person_id}:{period}"


async def run(ctx: JobContext, slot: datetime, frequency: str) -> str:
    """Compose every `frequency` lead's digest and queue those with something to say."""
    async with ctx.sessions.begin() as session:
        until = await register_watermark(session, ctx.clock, ctx.settings)
    quiet = unreachable = 0
    async with ctx.sessions.begin() as session:
        now = ctx.clock.now()
        digests = await compose(session, frequency, until, ctx.clock.today(), now)
        reached = await reachable(session, {d.lead.person_id for d in digests})
        advanced: set[int] = set()
        messages = []
        for digest in digests:
            if digest.lead.person_id not in reached:
                unreachable += 1  # kept for when they can be reached: the watermark stays
                continue
            if digest.empty and not ctx.settings.placebot_digest_send_empty:
                quiet += 1
                advanced.add(digest.lead.person_id)
                continue
            reply = digest_reply(digest, ctx.clock, ctx.settings)
            key = dedupe_key(digest, frequency, slot, ctx.clock)
            messages.append(ForPerson(digest.lead.person_id, reply, key))
        told = await tell_many(session, messages, now)
        queued = len(told.queued)
        advanced |= {message.person_id for message in told.queued}
        if advanced:
            await session.execute(
                update(Person).where(Person.id.in_(sorted(advanced))).values(last_digest_at=until)
            )
    return (
        f"{queued} {frequency} digests queued, {quiet} with nothing new, {unreachable} unreachable"
    )


async def daily(ctx: JobContext, slot: datetime) -> str:
    return await run(ctx, slot, "daily")


async def weekly(ctx: JobContext, slot: datetime) -> str:
    return await run(ctx, slot, "weekly")


async def send_now(ctx: Context) -> bool:
    """`digest now`: the person's digest for each HEI they lead, queued at once even when it has
    nothing new, and their watermark moved on as a scheduled run moves it. False when no channel
    reaches them. (A platform's retry of the same ask is answered once, by its inbound receipt.)"""
    person = ctx.require_person()
    until = await register_watermark(ctx.session, ctx.clock, ctx.settings)
    frequency = person.digest_frequency if person.digest_frequency != "off" else "weekly"
    now = ctx.clock.now()
    digests = await compose(ctx.session, frequency, until, ctx.clock.today(), now, person.id)
    messages = [
        ForPerson(
            person.id,
            digest_reply(digest, ctx.clock, ctx.settings),
            f"digest:{digest.lead.hei_id}:{person.id}:now:{now.isoformat()}",
        )
        for digest in digests
    ]
    told = await tell_many(ctx.session, messages, now)
    if told.queued:
        person.last_digest_at = until
        await ctx.session.flush()
    return bool(messages) and told.reached
