"""The faculty lead's report page in headless Chromium, through the real HTTP server: the signed
link from the summary opens it with JavaScript off, the progress table shows the hand-counted
figures, the charts are inline SVG that print, silent teams and undelivered messages are
listed, and an altered or expired link gets the 403 page that says how to get a new one."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

import pytest
from aiohttp import web
from playwright.sync_api import Page, expect

from adapters.server import build_app
from bot.kernel.clock import FixedClock
from bot.reports import links
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from tests.conftest import NOW
from tests.reports.test_progress import hand_counted
from tests.support.browser import chromium, free_port
from tests.support.builder import Builder

pytestmark = pytest.mark.browser


async def faculty(url: str) -> int:
    """The hand-counted register, a faculty lead, a silent team and an undelivered message."""
    engine = make_engine(url)
    try:
        build = Builder(make_sessionmaker(engine))
        await hand_counted(build)
        trust = await build.provider("Quiet Trust", kind="nhs_trust")
        quiet = await build.team(trust, "Quiet Ward", ("PT",))
        clinician = await build.person("Quiet Clinician", "clinician", team=quiet)
        await build.nudge(clinician, "block", "BL-2027-0001", NOW - timedelta(days=3))
        await build.delivery(
            clinician, "hello", "nudge:x:1", "failed", NOW - timedelta(days=1),
            channel="email", attempts=5, error="550 mailbox <unknown> not found",
        )  # fmt: skip
        lead = await build.person("Faculty Lead", "faculty_lead")
        return lead.id
    finally:
        await engine.dispose()


@contextmanager
def serving(settings: Settings, clock: FixedClock) -> Iterator[None]:
    """The whole server on its own event loop in a thread, as `placebot serve` runs it."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    runner = web.AppRunner(build_app(settings, make_engine(settings.database_url), clock))

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, settings.host, settings.port).start())
        started.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(30), "the server did not start"
    try:
        yield
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)


@pytest.fixture
def page(database_url: str) -> Iterator[Page]:
    """A page with JavaScript off. The database comes first: while Playwright's sync API runs,
    this thread's event loop is its own."""
    with chromium() as browser:
        context = browser.new_context(java_script_enabled=False, locale="en-GB")
        yield context.new_page()
        context.close()


def test_the_faculty_report_opens_from_its_link_and_a_bad_link_says_how_to_get_a_new_one(
    database_url: str, page: Page
) -> None:
    with ThreadPoolExecutor(1) as own_loop:  # Playwright's sync API holds this thread's loop
        lead = own_loop.submit(asyncio.run, faculty(database_url)).result()
    settings = Settings(
        database_url=database_url, host="127.0.0.1", port=free_port(), _env_file=None
    )  # type: ignore[call-arg]
    clock = FixedClock(at=NOW)
    link = links.report_link(settings, clock, lead)
    with serving(settings, clock):
        response = page.goto(link)
        assert response is not None and response.status == 200
        expect(page.get_by_role("heading", name="Placement progress, 2026/27")).to_be_visible()
        table = page.locator(
            "section", has=page.get_by_role("heading", name="Progress per profession")
        )
        pt = table.locator("tbody tr", has=page.locator("td", has_text="PT")).first
        expect(pt.locator("td")).to_have_text(
            ["PT", "3", "6", "2", "4", "1", "2", "28", "18", "30 (20 + 10)", "13%", "2", "+2"]
        )
        charts = page.locator("figure.chart svg[role=img]")
        expect(charts).to_have_count(3)
        expect(charts.first).to_have_attribute("aria-label", "Students confirmed against goal, "
            "per profession, 2026/27. OT: Goal (baseline + target) 5, Students confirmed or "
            "completed 2, Students offered 4; PT: Goal (baseline + target) 30, Students confirmed "
            "or completed 4, Students offered 6.")  # fmt: skip
        providers = page.locator(
            "section", has=page.get_by_role("heading", name="By provider type")
        )
        expect(providers.locator("tbody tr").first.locator("td")).to_have_text(
            ["NHS trust", "3", "6", "4", "2", "28"]
        )
        expect(page.locator("section", has_text="Silent teams")).to_contain_text(
            "Quiet Ward, Quiet Trust"
        )
        expect(page.locator("section", has_text="Undelivered messages")).to_contain_text(
            "550 mailbox <unknown> not found"
        )
        page.emulate_media(media="print")  # printed: the charts stay, the CSV link goes
        expect(charts.first).to_be_visible()
        expect(page.get_by_role("link", name="This year’s offers as CSV")).to_be_hidden()
        page.emulate_media(media="screen")

        altered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
        response = page.goto(altered)
        assert response is not None and response.status == 403
        expect(page.locator("body")).to_contain_text("This link is not valid")
        expect(page.locator("body")).to_contain_text("type summary to PlaceBot in chat")

        clock.at += timedelta(days=links.REPORT_DAYS, minutes=1)
        response = page.goto(link)
        assert response is not None and response.status == 403
        expect(page.locator("body")).to_contain_text("This link has expired")
        expect(page.locator("body")).to_contain_text("type summary to PlaceBot in chat")
