"""Retention on both databases: what is past its keeping time goes, in batches, and is counted
(by the scheduled job, its log line and `placebot purge`); what is within it, still pending, or
a placement that happened stays; a dry run and a keeping time of 0 delete nothing."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from adapters import cli
from bot.kernel.clock import FixedClock
from bot.privacy import retention
from config.settings import Settings
from storage.tables import (
    AuditEvent,
    Delivery,
    InboundReceipt,
    PendingOffer,
    PlacementOffer,
    PlacementRequest,
)
from tests.conftest import NOW
from tests.support.builder import Builder
from tests.support.inbox import Inbox

DAY = timedelta(days=1)
WANTED = {
    "deliveries": 3,
    "receipts": 2,
    "audit events": 2,
    "expired offers": 2,
    "offer readings": 2,
}


async def aged(build: Builder) -> dict[str, list[object]]:
    """For each kind, rows past the default keeping time (first) and rows to keep (after)."""
    person = await build.person("Coordinator, retention", "coordinator")
    hei = await build.hei("University of Retention", ukprn="10000001")
    old, recent = NOW - 100 * DAY, NOW - 10 * DAY
    deliveries = []
    for n, (status, created) in enumerate(
        [("sent", old), ("failed", old), ("cancelled", old), ("sent", recent), ("pending", old)]
    ):
        deliveries.append(await build.delivery(person, "hello", f"d{n}", status, created))
    receipts = [
        InboundReceipt(key=f"r{n}", received_at=NOW - days * DAY, reply={"text": "done"})
        for n, days in enumerate((20, 15, 13))
    ]
    audits = [
        AuditEvent(at=NOW - days * DAY, edge="cli", action="test", entity="x", entity_ref=str(days))
        for days in (800, 731, 729)
    ]
    readings = [  # a week is as long as Post works: older ones go, posted or not
        PendingOffer(
            id=f"reading{days}", person_id=person.id, line="placement offer PT 1 Mar - 5 Mar",
            draft={}, created_at=NOW - days * DAY, posted_at=posted, offer_ref=None,
        )
        for days, posted in ((30, None), (8, NOW - 8 * DAY), (6, None))
    ]  # fmt: skip
    await build.add(*receipts, *audits, *readings)
    start = date(2025, 9, 1)
    offers = []
    for status, days in [("expired", 400), ("dropped", 366), ("expired", 100), ("confirmed", 400),
                         ("withdrawn", 400)]:  # fmt: skip
        stamp = NOW - days * DAY
        offer = await build.offer("PT", start, start + 14 * DAY, status=status, created=stamp,
                                  updated=stamp)  # fmt: skip
        await build.request(offer, hei, status="cancelled" if status != "confirmed" else status)
        offers.append(offer)
    return {"deliveries": deliveries, "offers": offers}


async def remaining(build: Builder) -> dict[str, object]:
    async with build.sessions() as session:

        async def count(table: type) -> int:
            return int(await session.scalar(select(func.count()).select_from(table)) or 0)

        return {
            "deliveries": sorted((await session.execute(select(Delivery.dedupe_key))).scalars()),
            "receipts": sorted((await session.execute(select(InboundReceipt.key))).scalars()),
            "audit": sorted(
                (
                    await session.execute(
                        select(AuditEvent.entity_ref).where(AuditEvent.action == "test")
                    )
                ).scalars()
            ),
            "offers": sorted((await session.execute(select(PlacementOffer.status))).scalars()),
            "requests": await count(PlacementRequest),
            "readings": sorted((await session.execute(select(PendingOffer.id))).scalars()),
        }


async def test_the_purge_deletes_only_what_is_past_its_time_in_batches(
    build: Builder, settings: Settings, clock: FixedClock
) -> None:
    await aged(build)
    before = await remaining(build)
    counted = await retention.purge(build.sessions, settings, clock.now(), dry_run=True)
    assert counted == WANTED
    assert await remaining(build) == before, "a dry run deletes nothing"
    purged = await retention.purge(build.sessions, settings, clock.now(), batch=2)
    assert purged == WANTED
    assert await remaining(build) == {
        "deliveries": ["d3", "d4"],  # sent 10 days ago; pending however old
        "receipts": ["r2"],
        "audit": ["729"],
        "offers": ["confirmed", "expired", "withdrawn"],
        "requests": 3,  # the requests on the two purged offers went with them
        "readings": ["reading6"],
    }
    assert await retention.purge(build.sessions, settings, clock.now()) == dict.fromkeys(WANTED, 0)


async def test_zero_keeps_for_ever_and_the_job_reports_counts(
    build: Builder, settings: Settings, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    await aged(build)
    forever = settings.model_copy(
        update={"placebot_keep_audit_days": 0, "placebot_keep_receipts_days": 0}
    )
    caplog.set_level(logging.INFO, logger="bot.privacy.retention")
    said = await inbox.run("purge", settings=forever)
    assert said == "purged 3 deliveries, 2 expired offers, 2 offer readings"
    assert f"retention: {said}" in caplog.messages
    left = await remaining(build)
    assert left["receipts"] == ["r0", "r1", "r2"] and left["audit"] == ["729", "731", "800"]


async def test_placebot_purge_from_the_command_line(
    build: Builder, database_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """The CLI's clock is the real one, so rows are aged from now rather than the fixed NOW."""
    await aged(build)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PLACEBOT_KEEP_DELIVERIES_DAYS", "1")
    monkeypatch.setenv("PLACEBOT_KEEP_RECEIPTS_DAYS", "0")
    monkeypatch.setenv("PLACEBOT_KEEP_AUDIT_DAYS", "0")
    monkeypatch.setenv("PLACEBOT_KEEP_EXPIRED_OFFERS_DAYS", "0")
    assert await asyncio.to_thread(cli.main, ["purge", "--dry-run"]) == 0
    assert capsys.readouterr().out == "Would purge 4 deliveries, 3 offer readings.\n"
    assert len((await remaining(build))["deliveries"]) == 5
    assert await asyncio.to_thread(cli.main, ["purge"]) == 0
    assert capsys.readouterr().out == "Purged 4 deliveries, 3 offer readings.\n"
    assert (await remaining(build))["deliveries"] == ["d4"]
    monkeypatch.setenv("PLACEBOT_KEEP_AUDIT_DAYS", "-1")
    assert await asyncio.to_thread(cli.main, ["purge"]) == 2
    assert "PLACEBOT_KEEP_AUDIT_DAYS" in capsys.readouterr().err
