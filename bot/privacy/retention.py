"""Retention: what is past its keeping time is deleted, in batches, each its own short
transaction, so a first purge of a large backlog never holds a long lock.

    deliveries       finished outbox rows (sent, failed, expired, cancelled), by when made
    receipts         inbound receipts (platform retries recognised), by when received
    audit events     by when they happened
    expired offers   offers that expired or were dropped unconfirmed (never became placements),
                     with the HEI requests on them, by their last change
    offer readings   one-line offers shown with Post / Edit, once they can no longer be posted
                     (`bot.offers.pending.KEPT_FOR`, a week): a typed line names its poster

Each keeping time is a setting (PLACEBOT_KEEP_*_DAYS; 0 keeps for ever); the defaults and why are
in docs/data-protection.md. Pending and in-flight deliveries, live and completed offers, and
requests on them are never purged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.kernel.jobs import JobContext
from bot.offers import pending
from config.settings import Settings
from storage import lifecycle
from storage.tables import (
    AuditEvent,
    Delivery,
    InboundReceipt,
    PendingOffer,
    PlacementOffer,
    PlacementRequest,
)

log = logging.getLogger(__name__)
BATCH = 1000
FINISHED_DELIVERIES = ("sent", "failed", "expired", "cancelled")
ENDED_UNPLACED = (lifecycle.EXPIRED.value, lifecycle.DROPPED.value)


@dataclass(frozen=True)
class Kept:
    """One kind of record and how long it is kept."""

    name: str
    key: Any  # the primary-key column
    old: Callable[[datetime], ColumnElement[bool]]  # rows past the cut-off
    setting: str | None  # None: kept for `days`, a fixed time the record is useful for
    days: int = 0


KEPT = (
    Kept(
        "deliveries",
        Delivery.id,
        lambda cut: (Delivery.created_at < cut) & Delivery.status.in_(FINISHED_DELIVERIES),
        "placebot_keep_deliveries_days",
    ),
    Kept(
        "receipts",
        InboundReceipt.key,
        lambda cut: InboundReceipt.received_at < cut,
        "placebot_keep_receipts_days",
    ),
    Kept(
        "audit events", AuditEvent.id, lambda cut: AuditEvent.at < cut, "placebot_keep_audit_days"
    ),
    Kept(
        "expired offers",
        PlacementOffer.id,
        lambda cut: (PlacementOffer.updated_at < cut) & PlacementOffer.status.in_(ENDED_UNPLACED),
        "placebot_keep_expired_offers_days",
    ),
    Kept(
        "offer readings",
        PendingOffer.id,
        lambda cut: PendingOffer.created_at < cut,
        None,
        pending.KEPT_FOR.days,
    ),
)


async def _delete(session: AsyncSession, kept: Kept, keys: list[Any]) -> None:
    if kept.key is PlacementOffer.id:  # the requests on an offer go with it
        await session.execute(delete(PlacementRequest).where(PlacementRequest.offer_id.in_(keys)))
    await session.execute(delete(kept.key.table).where(kept.key.in_(keys)))


async def purge(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime,
    dry_run: bool = False,
    batch: int = BATCH,
) -> dict[str, int]:
    """Rows purged (with `dry_run`, that would be) by kind; kinds kept for ever are left out."""
    counts: dict[str, int] = {}
    for kept in KEPT:
        days = int(getattr(settings, kept.setting)) if kept.setting else kept.days
        if days <= 0:
            continue
        old = kept.old(now - timedelta(days=days))
        if dry_run:
            async with sessions() as session:
                counts[kept.name] = int(
                    await session.scalar(
                        select(func.count()).select_from(kept.key.table).where(old)
                    )
                    or 0
                )
            continue
        counts[kept.name] = 0
        while True:
            async with sessions.begin() as session:
                keys = list(
                    (
                        await session.execute(
                            select(kept.key).where(old).order_by(kept.key).limit(batch)
                        )
                    ).scalars()
                )
                if keys:
                    await _delete(session, kept, keys)
            counts[kept.name] += len(keys)
            if len(keys) < batch:
                break
    return counts


def said(counts: dict[str, int], dry_run: bool = False) -> str:
    verb = "would purge" if dry_run else "purged"
    return f"{verb} " + (
        ", ".join(f"{n} {what}" for what, n in counts.items()) or "nothing (all kept)"
    )


async def job(ctx: JobContext, slot: datetime) -> str:
    """The scheduled purge: what is past its keeping time at the slot, in batches."""
    counts = await purge(ctx.sessions, ctx.settings, ctx.clock.now())
    line = said(counts)
    log.info("retention: %s", line)
    return line
