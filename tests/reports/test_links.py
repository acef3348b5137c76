"""The signed links in digests, summaries and their emails: each opens what its message was
about, for its reader only, until it expires; an altered or stale one opens nothing (403).
One click unsubscribes (RFC 8058), and a GET of that link (a mail scanner's) changes nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.server import build_app
from bot.kernel.clock import FixedClock
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.tables import AuditEvent, Person, RoleGrant
from tests.reports import test_digests as digests
from tests.reports.test_digests import SLOT, World, delivered
from tests.support.builder import Builder
from tests.support.chat import Chat
from tests.support.inbox import Inbox

world = digests.world  # the digests' faculty: two HEIs, their leads, offers that changed


@pytest.fixture
async def web(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> AsyncIterator[TestClient]:
    app = build_app(settings, make_engine(settings.database_url), clock)
    async with TestClient(TestServer(app)) as client:
        yield client


def path_of(url: str | None) -> str:
    parts = urlsplit(url or "")
    return f"{parts.path}?{parts.query}"


async def weekly_digest_link(inbox: Inbox, world: World) -> str:
    await inbox.run("digests-weekly", at=SLOT)
    _, reply = delivered(inbox)[f"digest:{world.uni_a}:{world.weekly_a}:2026-W48"]
    changes = next(b for b in reply.buttons if b.label == "Changes as CSV")
    return path_of(changes.url)


async def test_a_digests_csv_link_opens_the_changes_it_reported(
    web: TestClient, world: World, inbox: Inbox
) -> None:
    link = await weekly_digest_link(inbox, world)
    response = await web.get(link)  # no token, no login: the link is the permission
    assert response.status == 200 and response.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    refs = {row["ref"]: row for row in rows}
    # PT and OT (HEI A's professions) changed since the lead's last digest: new, changed, withdrawn.
    assert set(refs) == {world.refs[k] for k in ("new_pt", "changed_ot", "withdrawn_pt")}
    assert refs[world.refs["withdrawn_pt"]]["status"] == "withdrawn"


async def test_an_altered_expired_or_forwarded_link_opens_nothing(
    engine: AsyncEngine, web: TestClient, world: World, inbox: Inbox, clock: FixedClock
) -> None:
    link = await weekly_digest_link(inbox, world)
    path, token = link.split("?t=")
    payload, stamp, signature = token.split(".")
    other = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    for altered in (f"{other}.{stamp}.{signature}", f"{payload}.{stamp}.{signature[:-3]}", ""):
        refused = await web.get(f"{path}?t={altered}")
        assert refused.status == 403
        assert "not valid" in await refused.text()

    clock.at += timedelta(days=31)
    expired = await web.get(link)
    assert expired.status == 403 and "expired" in await expired.text()
    clock.at -= timedelta(days=31)

    async with make_sessionmaker(engine).begin() as session:  # no longer a lead
        await session.execute(delete(RoleGrant).where(RoleGrant.person_id == world.weekly_a))
    stale = await web.get(link)
    assert stale.status == 403 and "no longer a lead" in await stale.text()


async def test_an_email_digest_unsubscribes_in_one_click_and_a_scanners_get_changes_nothing(
    engine: AsyncEngine, web: TestClient, world: World, inbox: Inbox, settings: Settings
) -> None:
    from adapters.email.channel import unsubscribe_url

    key = f"digest:{world.uni_a}:{world.weekly_a}:2026-W48"
    url = unsubscribe_url(settings, inbox.clock, world.weekly_a, key)
    assert url is not None and unsubscribe_url(settings, inbox.clock, 1, "nudge:1:2") is None
    sessions = make_sessionmaker(engine)

    page = await web.get(path_of(url))  # what a mail scanner does
    assert page.status == 200 and '<form method="post"' in await page.text()
    async with sessions() as session:
        person = await session.get(Person, world.weekly_a)
        assert person is not None and person.digest_frequency == "weekly"

    clicked = await web.post(path_of(url), data="List-Unsubscribe=One-Click")
    assert clicked.status == 200 and "digest weekly" in await clicked.text()
    async with sessions() as session:
        person = await session.get(Person, world.weekly_a)
        assert person is not None and person.digest_frequency == "off"
        audited = await session.scalar(
            select(AuditEvent.action).where(AuditEvent.entity_ref == str(world.weekly_a))
        )
    assert audited == "digest.unsubscribe"

    forged = await web.post(path_of(url)[:-4] + "abcd")
    assert forged.status == 403


async def test_the_summary_stops_for_a_lead_who_unsubscribes(
    web: TestClient, inbox: Inbox, build: Builder, settings: Settings
) -> None:
    from adapters.email.channel import unsubscribe_url

    lead = await build.person("Faculty Lead", "faculty_lead", organisation=None)
    other = await build.person("Other Lead", "faculty_lead", organisation=None)
    friday = SLOT + timedelta(days=4, hours=8)
    await inbox.run("summary", at=friday)
    reply = inbox.last(lead)
    assert reply.items[-1].title == "To stop this summary"
    assert reply.buttons[-1].label == "This year's offers as CSV"
    year = await web.get(path_of(reply.buttons[-1].url))
    assert year.status == 200 and year.content_type == "text/csv"

    [key] = [got.key for got in inbox.of(lead)]
    assert (
        await web.post(path_of(unsubscribe_url(settings, inbox.clock, lead.id, key)))
    ).status == 200
    before = len(inbox.received)
    await inbox.run("summary", at=friday + timedelta(days=7))
    assert {got.person_id for got in inbox.received[before:]} == {other.id}


async def test_digest_summary_off_and_on_in_chat_for_faculty_leads_only(chat: Chat) -> None:
    assert "stopped" in (await chat.say("faculty-lead", "digest summary off")).text
    assert "stopped" in (await chat.say("faculty-lead", "digest summary")).text
    assert "back on" in (await chat.say("faculty-lead", "digest summary on")).text
    refused = await chat.say("stroke-physio", "digest summary off")
    assert refused.tone == "error" and "faculty leads" in refused.text


def test_a_public_server_without_a_link_secret_does_not_start(settings: Settings) -> None:
    from adapters.server import ConfigurationError, check_settings

    public = settings.model_copy(update={"placebot_public_url": "https://placebot.example.org"})
    with pytest.raises(ConfigurationError, match="PLACEBOT_LINK_SECRET"):
        check_settings(public)
    check_settings(public.model_copy(update={"placebot_link_secret": "s" * 32}))


async def test_the_report_link_opens_each_leads_view_and_a_bad_one_a_403_page(
    web: TestClient, world: World, inbox: Inbox, build: Builder, clock: FixedClock
) -> None:
    await inbox.run("digests-weekly", at=SLOT)
    _, reply = delivered(inbox)[f"digest:{world.uni_a}:{world.weekly_a}:2026-W48"]
    report = next(b for b in reply.buttons if b.label == "Open the report")
    page = await web.get(path_of(report.url))
    assert page.status == 200 and page.content_type == "text/html"
    text = await page.text()
    assert "Placements for University A" in text and world.refs["new_pt"] in text
    assert world.refs["new_slt"] not in text  # another HEI's profession

    lead = await build.person("Faculty Lead", "faculty_lead", organisation=None)
    await inbox.run("summary", at=SLOT + timedelta(days=4, hours=8))
    summary = inbox.last(lead)
    faculty = next(b for b in summary.buttons if b.label == "Open the report")
    assert "Placement progress" in await (await web.get(path_of(faculty.url))).text()

    clock.at += timedelta(days=15)
    expired = await web.get(path_of(report.url))
    assert expired.status == 403 and "expired" in await expired.text()
