"""The HEI lead's report page in headless Chromium, against the real `placebot demo`: the signed
link opens it, the filters narrow the register, the CSV downloads, "Request places" stores a
request, and an altered link or another site's form changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from bot.kernel import signed_links
from bot.kernel.clock import Clock
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.tables import Identity, Organisation, PlacementRequest
from tests.support.browser import REPLY_MS, chromium, running_demo

pytestmark = pytest.mark.browser
SECRET = "report-page-test-secret-" + "x" * 16


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`placebot demo` (with its term of offers, answers and requests) and a known link secret."""
    database = tmp_path_factory.mktemp("report") / "demo.db"
    with running_demo(database, PLACEBOT_LINK_SECRET=SECRET) as url:
        yield url.rstrip("/"), database


async def _read(database: Path, statement):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite+aiosqlite:///{database}")
    try:
        async with make_sessionmaker(engine)() as session:
            return (await session.execute(statement)).all()
    finally:
        await engine.dispose()


def read(database: Path, statement) -> list:  # type: ignore[no-untyped-def]
    """Rows from the demo's database, read in a thread of its own (Playwright's loop runs here)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, _read(database, statement)).result()


def report_link(base: str, database: Path, who: str) -> str:
    [(person_id,)] = read(
        database,
        select(Identity.person_id).where(Identity.platform == "local", Identity.external_id == who),
    )
    host, port = base.removeprefix("http://").split(":")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, placebot_link_secret=SECRET, host=host, port=int(port)
    )
    return signed_links.link(settings, Clock(), "/report", "report", {"p": person_id})


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True, locale="en-GB")
    context.set_default_timeout(REPLY_MS)
    opened = context.new_page()
    yield opened
    context.close()


def statuses(page: Page) -> list[str]:
    return page.locator("table").first.locator("tbody tr td:nth-child(3)").all_inner_texts()


def test_the_lead_filters_downloads_and_requests_places(page: Page, demo: tuple[str, Path]) -> None:
    base, database = demo
    link = report_link(base, database, "nottingham-lead")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Placements for University of Nottingham: PT"
    )
    everything = statuses(page)
    assert len(everything) >= 4 and {"offered", "requested", "confirmed"} <= set(everything)
    expect(page.get_by_role("heading", name="Your blocks: places offered and teams' answers"))
    expect(page.locator("details summary").first).to_contain_text("who answered")

    page.get_by_label("Status").select_option("requested")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_label("Status")).to_have_value("requested")
    assert set(statuses(page)) == {"requested"}
    page.get_by_label("Status").select_option("")
    page.get_by_label("Starting on or before").fill("2000-01-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("0 placements shown")).to_be_visible()

    page.goto(link)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    csv = Path(download.value.path()).read_text(encoding="utf-8")
    assert csv.startswith("ref,") and csv.count("\n") == len(everything) + 1

    row = page.locator("table").first.locator("tbody tr", has=page.locator("form.ask")).first
    ref = row.locator("td").first.inner_text()
    row.get_by_label("Students").fill("1")
    row.get_by_label("Note").fill("from the page")
    row.get_by_role("button", name="Request places").click()
    expect(page.get_by_role("status")).to_contain_text(f"on {ref} for University of Nottingham")
    stored = read(
        database,
        select(PlacementRequest.students, PlacementRequest.note)
        .join(Organisation, Organisation.id == PlacementRequest.hei_id)
        .where(Organisation.name == "University of Nottingham"),
    )
    assert (1, "from the page") in [tuple(r) for r in stored]


def test_an_altered_link_or_another_sites_form_gets_nowhere(
    page: Page, demo: tuple[str, Path]
) -> None:
    base, database = demo
    link = report_link(base, database, "shu-lead")
    before = read(database, select(PlacementRequest.id))
    altered = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
    response = page.goto(altered)
    assert response is not None and response.status == 403
    expect(page.get_by_text("This link is not valid")).to_be_visible()
    token = link.split("t=", 1)[1]
    forged = page.request.post(
        f"{base}/report/requests",
        form={"t": token, "ref": "PL-2027-0001", "students": "1"},
        headers={"Origin": "https://elsewhere.example"},
    )
    assert forged.status == 403
    assert read(database, select(PlacementRequest.id)) == before
