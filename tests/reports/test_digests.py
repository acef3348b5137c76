"""HEI digests: each lead hears what changed for their professions since the last one, once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.kernel.clock import FixedClock
from bot.kernel.messages import Reply
from bot.reports.digests import leads as digest_leads
from bot.reports.digests import queries as digest_queries
from config.settings import Settings
from storage.engine import make_sessionmaker
from storage.tables import Person
from tests.conftest import NOW
from tests.support.builder import Builder
from tests.support.inbox import Inbox

# Monday 23 November 2026, 08:00 in London (GMT): the weekly and the daily slot.
SLOT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LAST_WEEK = NOW - timedelta(days=7)
FEB = date(2027, 2, 1)


@dataclass
class World:
    uni_a: int
    uni_b: int
    weekly_a: int  # HEI A's lead, weekly, the HEI's professions (PT, OT)
    daily_a: int  # HEI A's lead, daily, narrowed to PT
    weekly_b: int  # HEI B's lead, weekly, SLT
    off_a: int  # HEI A's lead who turned digests off
    refs: dict[str, str]
    blocks: dict[str, str]
    latest: datetime


@pytest.fixture
async def world(build: Builder) -> World:
    uni_a = await build.hei("University A", ("PT", "OT"))
    uni_b = await build.hei("University B", ("SLT",))
    trust = await build.provider("City Hospitals Trust")
    ward = await build.team(trust, "Stroke Rehab", site="Stroke Rehab site")
    weekly_a = await build.person(
        "Lead A weekly",
        "hei_lead",
        organisation=uni_a,
        last_digest_at=LAST_WEEK,
        digest_frequency="weekly",
    )
    daily_a = await build.person(
        "Lead A daily",
        "hei_lead",
        organisation=uni_a,
        professions=("PT",),
        digest_frequency="daily",
    )
    weekly_b = await build.person(
        "Lead B",
        "hei_lead",
        organisation=uni_b,
        last_digest_at=LAST_WEEK,
        digest_frequency="weekly",
    )
    off_a = await build.person("Lead A off", "hei_lead", organisation=uni_a, digest_frequency="off")
    month_ago = NOW - timedelta(days=30)
    pt_block = await build.block(uni_a, "PT", FEB, 10, date(2026, 12, 3))
    ot_block = await build.block(uni_a, "OT", FEB, 2, date(2026, 12, 3))
    closed = await build.block(uni_a, "PT", FEB, 8, date(2026, 11, 20))
    b_block = await build.block(uni_b, "SLT", FEB, 4, date(2026, 12, 3))
    end = FEB + timedelta(weeks=6)
    new_pt = await build.offer(
        "PT", FEB, end, 2, created=NOW - timedelta(hours=1), team=ward, block=pt_block
    )
    changed_ot = await build.offer(
        "OT", FEB, end, 2, created=month_ago, updated=NOW - timedelta(hours=2), team=ward
    )
    withdrawn_pt = await build.offer(
        "PT", FEB, end, 4, "withdrawn", month_ago, NOW - timedelta(days=3), ward
    )
    old_pt = await build.offer("PT", FEB, end, 3, created=NOW - timedelta(days=10), team=ward)
    new_slt = await build.offer("SLT", FEB, end, 1, created=NOW - timedelta(hours=3))
    new_diet = await build.offer("DIET", FEB, end, 1, created=NOW - timedelta(hours=4))
    for offer, hei, status in (
        (changed_ot, uni_a, "pending"),
        (new_pt, uni_a, "held"),
        (old_pt, uni_a, "confirmed"),
        (new_slt, uni_b, "pending"),
    ):
        await build.request(offer, hei, students=1, status=status, created=NOW)
    return World(
        uni_a.id,
        uni_b.id,
        weekly_a.id,
        daily_a.id,
        weekly_b.id,
        off_a.id,
        {
            "new_pt": new_pt.ref,
            "changed_ot": changed_ot.ref,
            "withdrawn_pt": withdrawn_pt.ref,
            "old_pt": old_pt.ref,
            "new_slt": new_slt.ref,
            "new_diet": new_diet.ref,
        },
        {"pt": pt_block.ref, "ot": ot_block.ref, "closed": closed.ref, "b": b_block.ref},
        NOW - timedelta(hours=1),
    )


def delivered(inbox: Inbox) -> dict[str | None, tuple[int, Reply]]:
    """What reached each lead, by the key it was sent under: who, and the message."""
    return {key: (got.person_id, got.reply) for key, got in inbox.by_key().items()}


async def watermark(engine: AsyncEngine, person_id: int) -> datetime | None:
    async with make_sessionmaker(engine)() as session:
        return await session.scalar(select(Person.last_digest_at).where(Person.id == person_id))


def facts(reply: Reply) -> dict[str, str]:
    return {fact.label: fact.value for fact in reply.facts}


def titles(reply: Reply) -> str:
    return "\n".join(item.title for item in reply.items)


async def test_the_weekly_digest_has_the_leads_professions_changes_requests_and_short_blocks(
    engine: AsyncEngine, clock: FixedClock, settings: Settings, world: World, inbox: Inbox
) -> None:
    result = await inbox.run("digests-weekly", at=SLOT)

    sent = delivered(inbox)
    key_a = f"digest:{world.uni_a}:{world.weekly_a}:2026-W48"
    key_b = f"digest:{world.uni_b}:{world.weekly_b}:2026-W48"
    assert set(sent) == {key_a, key_b}, result
    lead, reply = sent[key_a]
    assert lead == world.weekly_a
    assert reply.text.startswith("Placement digest for University A.")
    assert facts(reply) == {
        "New offers": "1",
        "Changed": "1",
        "Withdrawn": "1",
        "Requests waiting": "2",
        "Blocks short of places": "1",
    }
    listed = titles(reply)
    for wanted in ("new_pt", "changed_ot", "withdrawn_pt"):
        assert world.refs[wanted] in listed
    for unwanted in ("old_pt", "new_slt", "new_diet"):
        assert world.refs[unwanted] not in listed
    kinds = {item.title.split(" · ")[0]: item.text for item in reply.items}
    assert kinds[world.refs["new_pt"]] == "new"
    assert kinds[world.refs["changed_ot"]] == "changed"
    assert kinds[world.refs["withdrawn_pt"]] == "withdrawn"
    # 10 students; 2 on the block and 3 on a PT offer for no block over the same weeks.
    assert world.blocks["pt"] in listed
    assert world.blocks["ot"] not in listed  # 2 students, the OT offer matches it: covered
    assert world.blocks["closed"] not in listed
    short = next(item for item in reply.items if item.title.startswith(world.blocks["pt"]))
    assert short.text == "short by 5"
    assert f"Request on {world.refs['changed_ot']} · OT" in listed
    assert f"Request on {world.refs['new_pt']} · PT" in listed
    assert world.refs["old_pt"] not in listed  # its request is confirmed, not waiting
    changes, _report = reply.buttons  # signed links to these changes: tests/reports/test_links.py
    assert changes.label == "Changes as CSV" and "/report/placements.csv?t=" in (changes.url or "")

    _, reply_b = sent[key_b]
    assert facts(reply_b)["New offers"] == "1"
    assert world.refs["new_slt"] in titles(reply_b)
    assert world.refs["new_pt"] not in titles(reply_b)
    assert facts(reply_b)["Requests waiting"] == "1"
    assert facts(reply_b)["Blocks short of places"] == "1"


async def test_the_watermark_advances_and_a_second_run_is_a_no_op(
    engine: AsyncEngine, clock: FixedClock, settings: Settings, world: World, inbox: Inbox
) -> None:
    await inbox.run("digests-weekly", at=SLOT)
    assert await watermark(engine, world.weekly_a) == world.latest
    assert await watermark(engine, world.daily_a) is None  # weekly job: daily leads untouched
    first = delivered(inbox)

    result = await inbox.run("digests-weekly", at=SLOT)

    assert delivered(inbox) == first
    assert result.startswith("0 weekly digests queued")
    assert await watermark(engine, world.weekly_a) == world.latest


async def test_the_daily_job_serves_daily_leads_only_with_their_own_narrower_professions(
    engine: AsyncEngine, clock: FixedClock, settings: Settings, world: World, inbox: Inbox
) -> None:
    await inbox.run("digests-daily", at=SLOT)

    sent = delivered(inbox)
    key = f"digest:{world.uni_a}:{world.daily_a}:2026-11-23"
    assert list(sent) == [key]
    _, reply = sent[key]
    # A first digest looks back one day: the new PT offer; the OT change is not PT; the PT
    # withdrawal three days ago is older than the window.
    assert facts(reply)["New offers"] == "1"
    assert facts(reply)["Changed"] == "0"
    assert facts(reply)["Withdrawn"] == "0"
    assert world.refs["new_pt"] in titles(reply)
    assert world.refs["changed_ot"] not in titles(reply)
    assert facts(reply)["Requests waiting"] == "1"  # the held PT request; the OT one is not PT
    assert await watermark(engine, world.daily_a) == world.latest
    assert await watermark(engine, world.off_a) is None


async def test_nothing_is_sent_when_nothing_changed_unless_asked(
    engine: AsyncEngine, clock: FixedClock, world: World, database_url: str, inbox: Inbox
) -> None:
    quiet = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    chatty = Settings(
        database_url=database_url,
        placebot_digest_send_empty=True,
        _env_file=None,  # type: ignore[call-arg]
    )
    await inbox.run("digests-weekly", at=SLOT, settings=quiet)
    before = delivered(inbox)
    next_week = SLOT + timedelta(days=7)
    clock.at = NOW + timedelta(days=7)

    result = await inbox.run("digests-weekly", at=next_week, settings=quiet)

    assert delivered(inbox) == before
    assert "0 weekly digests queued, 2 with nothing new" in result

    await inbox.run("digests-weekly", at=next_week + timedelta(days=7), settings=chatty)

    sent = delivered(inbox)
    key = f"digest:{world.uni_a}:{world.weekly_a}:2026-W50"
    assert key in sent
    _, reply = sent[key]
    assert "No offers changed" in reply.text
    assert facts(reply)["New offers"] == "0"
    assert facts(reply)["Requests waiting"] == "2"  # standing items are still shown


async def test_a_change_after_the_digest_comes_in_the_next_one(
    engine: AsyncEngine,
    clock: FixedClock,
    settings: Settings,
    world: World,
    inbox: Inbox,
    build: Builder,
) -> None:
    await inbox.run("digests-weekly", at=SLOT)
    later = await build.offer(
        "OT", FEB, FEB + timedelta(weeks=4), 3, created=NOW + timedelta(days=2)
    )
    clock.at = NOW + timedelta(days=7)

    await inbox.run("digests-weekly", at=SLOT + timedelta(days=7))

    _, reply = delivered(inbox)[f"digest:{world.uni_a}:{world.weekly_a}:2026-W49"]
    assert facts(reply)["New offers"] == "1"
    assert facts(reply)["Changed"] == "0"
    assert titles(reply).startswith(later.ref)


async def test_a_long_list_says_how_many_more_and_points_to_the_register(
    engine: AsyncEngine,
    clock: FixedClock,
    settings: Settings,
    world: World,
    inbox: Inbox,
    build: Builder,
) -> None:
    for n in range(14):
        await build.offer("PT", FEB, FEB + timedelta(weeks=4), created=NOW - timedelta(minutes=n))

    await inbox.run("digests-weekly", at=SLOT)

    _, reply = delivered(inbox)[f"digest:{world.uni_a}:{world.weekly_a}:2026-W48"]
    assert facts(reply)["New offers"] == "15"
    offers = [item for item in reply.items if item.title.startswith("PL-")]
    assert len(offers) == digest_queries.MAX_OFFERS_SHOWN
    assert "and 7 more changed offers: all of them in “Changes as CSV”" in titles(reply)


def test_a_leads_professions_narrow_the_heis_and_missing_lists_never_hide_offers() -> None:
    assert digest_leads.lead_professions(",PT,OT,", ",PT,") == ("PT",)
    assert digest_leads.lead_professions(",PT,OT,", "") == ("PT", "OT")
    assert digest_leads.lead_professions(",PT,OT,", ",SLT,") == ("PT", "OT")
    assert digest_leads.lead_professions("", ",SLT,") == ("SLT",)
    assert len(digest_leads.lead_professions("", "")) == 15


async def test_composing_takes_the_same_few_queries_for_more_leads_and_offers(
    engine: AsyncEngine, clock: FixedClock, world: World, build: Builder
) -> None:
    async def statements() -> tuple[int, int]:
        issued: list[str] = []

        def tally(_conn, _cursor, statement, *_: object) -> None:  # type: ignore[no-untyped-def]
            issued.append(statement)

        event.listen(engine.sync_engine, "before_cursor_execute", tally)
        try:
            async with make_sessionmaker(engine)() as session:
                composed = await digest_queries.compose(session, "weekly", NOW, clock.today())
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", tally)
        return len(issued), len(composed)

    few, leads_before = await statements()
    hei = await build.hei("University C", ("PT", "DIET"))
    for n in range(12):
        await build.person(f"Lead C{n}", "hei_lead", organisation=hei, digest_frequency="weekly")
    for n in range(40):
        await build.offer(("PT", "DIET")[n % 2], FEB, FEB + timedelta(weeks=4), created=NOW)
    await build.block(hei, "DIET", FEB, 30, date(2026, 12, 3))

    many, leads_after = await statements()

    assert leads_after == leads_before + 12
    assert many == few


async def test_a_lead_nothing_reaches_keeps_their_watermark_for_later(
    engine: AsyncEngine,
    clock: FixedClock,
    settings: Settings,
    world: World,
    inbox: Inbox,
    build: Builder,
) -> None:
    hei = await build.hei("University C", ("PT",))
    lead = await build.person(
        "Lead C", "hei_lead", organisation=hei, reachable=False, last_digest_at=LAST_WEEK
    )

    result = await inbox.run("digests-weekly", at=SLOT)

    assert result == "2 weekly digests queued, 0 with nothing new, 1 unreachable"
    assert await watermark(engine, lead.id) == LAST_WEEK
    assert not [key for key in delivered(inbox) if key.startswith(f"digest:{hei.id}:")]
