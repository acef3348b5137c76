"""Change stamps for the register: `updated_at` values that become visible in commit order.

An HEI syncs with `updated_since`. A clock timestamp alone can miss a change: a writer stamps
10:00:00.1, a second stamps 10:00:00.2 and commits first, a reader sees .2 and next asks for
changes after .2, so .1 is never seen. Every offer write therefore takes one lock (a counter
row, held to commit; SQLite's write lock does the same) before it stamps, and stamps strictly
after the latest stamp. Stamps then commit in order, and "changed after X" never misses one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.kernel.context import Context
from bot.kernel.refs import next_ref
from storage.tables import PlacementOffer

_LOCK = "register-changes"
TICK = timedelta(microseconds=1)


async def lock_register(ctx: Context) -> None:
    """Serialise offer writers until this transaction ends; take it before any row lock."""
    await next_ref(ctx.session, _LOCK)  # the counter row's update is the lock


async def change_stamp(ctx: Context) -> datetime:
    """Now, or a tick after the latest stamp: strictly increasing, in commit order."""
    # No autoflush: a pending change must not take its row lock before the register lock.
    with ctx.session.no_autoflush:
        await lock_register(ctx)
        latest = await ctx.session.scalar(select(func.max(PlacementOffer.updated_at)))
    now = ctx.clock.now()
    return now if latest is None or now > latest else latest + TICK
