"""The local chat page in headless Chromium, against the real `placebot demo`.

The acceptance test of the product: a clinician offers a placement, finds it, withdraws it;
finds educator training with booking links; fills in the offer form, is told what to fix;
and is told politely when a profession is not one the bot knows.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import select

from bot.delivery import queue as outbox
from bot.kernel.messages import Button, Fact, Image, Reply
from storage.engine import make_engine, make_sessionmaker
from storage.tables import Identity
from tests.support.browser import REPLY_MS, chromium, running_demo
from tests.support.paths import ROOT

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts"
REFERENCE = re.compile(r"PL-\d{4}-\d{4}")
# A one-pixel PNG, for the chart a scheduled message may carry.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def placement_year(today: date) -> int:
    """The next year whose 1 February is more than 14 days ahead, so the offer is never past."""
    year = today.year
    while date(year, 2, 1) - today <= timedelta(days=14):
        year += 1
    return year


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo") / "demo.db"


@pytest.fixture(scope="module")
def demo_url(demo_database: Path) -> Iterator[str]:
    """`placebot demo` on a fresh SQLite file and a free port; its URL, as it prints it."""
    with running_demo(demo_database) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, demo_url: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 900, "height": 800}, locale="en-GB")
    context.set_default_timeout(REPLY_MS)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.goto(demo_url)
    expect(opened.get_by_role("heading", name="PlaceBot — local chat")).to_be_visible()
    yield opened
    context.close()
    assert not problems, f"JavaScript errors on the page: {problems}"


# --- Small helpers: speak, press, read the last reply ---


def replies(page: Page) -> Locator:
    return page.locator("#log .reply")


def last_reply(page: Page) -> Locator:
    return replies(page).last


def speak_as(page: Page, who: str) -> None:
    page.locator("#who").select_option(who)


def send(page: Page, text: str) -> Locator:
    """Type a message, press Enter, and return the reply card that answers it."""
    before = replies(page).count()
    page.locator("#message").fill(text)
    page.locator("#message").press("Enter")
    expect(replies(page)).to_have_count(before + 1)
    return last_reply(page)


def press(page: Page, button: Locator) -> Locator:
    """Click a button in a reply and return the reply card it brings."""
    before = replies(page).count()
    button.click()
    expect(replies(page)).to_have_count(before + 1)
    return last_reply(page)


def submit(page: Page, form: Locator) -> Locator:
    before = replies(page).count()
    form.locator("button[type=submit]").click()
    expect(replies(page)).to_have_count(before + 1)
    return last_reply(page)


def screenshot(page: Page, name: str) -> None:
    """The whole conversation in one picture, for a person to look at (test-artifacts/)."""
    ARTIFACTS.mkdir(exist_ok=True)
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 900, "height": height})  # header on top, composer below
    page.screenshot(path=ARTIFACTS / name)


def fact(card: Locator, label: str) -> Locator:
    return card.locator("dt", has_text=re.compile(f"^{re.escape(label)}$")).locator("+ dd")


def when(text: str) -> datetime:
    """The start of a training session, from e.g. "Tue 24 Nov 2026, 13:00–14:30"."""
    start = text.split("–")[0].strip()
    return datetime.strptime(start, "%a %d %b %Y, %H:%M")


# --- The scenarios ---


def test_a_clinician_offers_a_placement_finds_it_and_withdraws_it(page: Page) -> None:
    year = placement_year(date.today())
    speak_as(page, "stroke-physio")

    offered = send(
        page,
        f"placement offer physio 1 Feb - 12 Mar {year} 2 students at Ward 12, City Hospital",
    )
    expect(offered).to_have_class(re.compile(r"\btone-success\b"))
    expect(offered).to_contain_text(REFERENCE)
    reference = REFERENCE.search(offered.inner_text()).group(0)

    mine = send(page, "placement mine")
    offer = mine.locator(".item", has_text=reference)
    expect(offer).to_have_count(1)

    asking = press(page, offer.get_by_role("button", name="Withdraw"))
    expect(asking).to_contain_text(f"Withdraw {reference}?")
    withdrawn = press(page, asking.get_by_role("button", name="Yes, withdraw"))
    expect(withdrawn).to_contain_text(re.compile(rf"{reference} is withdrawn"))

    mine_again = send(page, "placement mine")
    expect(mine_again).not_to_contain_text(reference)

    training = send(page, "training OT")
    sessions = training.locator(".item")
    expect(sessions.first).to_be_visible()
    starts = [when(text) for text in fact(sessions, "When").all_inner_texts()]
    assert len(starts) == sessions.count() >= 2
    assert starts == sorted(starts), f"training is not soonest first: {starts}"
    books = training.get_by_role("link", name="Book")
    expect(books.first).to_be_visible()
    for link in books.all():
        assert re.match(r"(https://|mailto:)", link.get_attribute("href") or "")
        assert link.get_attribute("target") == "_blank"
        assert "noopener" in (link.get_attribute("rel") or "")

    screenshot(page, "local-chat.png")


def test_the_offer_form_keeps_what_was_typed_and_shows_errors_beside_fields(page: Page) -> None:
    year = placement_year(date.today())
    speak_as(page, "stroke-physio")

    form = send(page, "placement offer").locator("form")
    expect(form).to_be_visible()
    form.get_by_label("Profession").select_option("PT")
    form.get_by_label("First day").fill(f"1 Feb {year}")
    form.get_by_label("Last day").fill(f"12 Mar {year}")
    form.get_by_label("Students", exact=True).fill("0")
    form.get_by_label("Place (ward, team, site)").fill("Ward 3, City Hospital")

    rejected = submit(page, form)
    expect(rejected).to_have_class(re.compile(r"\btone-error\b"))
    again = rejected.locator("form")
    expect(again.locator('[data-field="capacity"] .field-error')).to_contain_text("1 to 30")
    expect(again.locator('[data-field="start"] .field-error')).to_have_count(0)
    expect(again.get_by_label("First day")).to_have_value(f"1 Feb {year}")
    expect(again.get_by_label("Place (ward, team, site)")).to_have_value("Ward 3, City Hospital")
    expect(again.get_by_label("Profession")).to_have_value("PT")
    expect(again.get_by_label("Students", exact=True)).to_have_value("0")

    again.get_by_label("Students", exact=True).fill("2")
    posted = submit(page, again)
    expect(posted).to_have_class(re.compile(r"\btone-success\b"))
    expect(posted).to_contain_text(REFERENCE)
    expect(fact(posted, "Students")).to_have_text("2")
    screenshot(page, "local-chat-form.png")


def test_an_unknown_profession_gets_a_polite_error(page: Page) -> None:
    speak_as(page, "stroke-physio")
    reply = send(page, "placement offer unicorn 1 Feb - 12 Mar")
    expect(reply).to_have_class(re.compile(r"\btone-error\b"))
    expect(reply).to_contain_text("profession")
    expect(reply).to_contain_text("unicorn")


def test_someone_new_can_speak_by_name(page: Page) -> None:
    expect(page.locator("#new-name")).to_be_hidden()
    speak_as(page, "Someone new…")
    page.locator("#new-name").fill("Jo Bloggs")
    reply = send(page, "placement mine")
    expect(reply).to_contain_text("none found")
    expect(page.locator("#log .user").last).to_contain_text("Jo Bloggs")


def queue_message(database: Path, who: str, reply: Reply, kind: str = "page-test") -> None:
    """Put a message for a local person in the demo's outbox, as a schedule would, under a key
    of that kind (`summary`, `nudge`, ...)."""

    async def enqueue() -> None:
        engine = make_engine(f"sqlite+aiosqlite:///{database}")
        try:
            async with make_sessionmaker(engine).begin() as session:
                person_id = await session.scalar(
                    select(Identity.person_id).where(
                        Identity.platform == "local", Identity.external_id == who
                    )
                )
                assert person_id is not None
                key = f"{kind}:{uuid.uuid4()}"
                await outbox.enqueue(session, person_id, "local", reply, key, datetime.now(UTC))
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's event loop
        pool.submit(asyncio.run, enqueue()).result()


def test_a_message_placebot_sends_on_its_own_appears_with_its_chart(
    page: Page, demo_database: Path
) -> None:
    speak_as(page, "nuh-coordinator")
    summary = Reply(
        text="Weekly summary: 12 of 39 PT placements offered so far.",
        facts=(Fact("New this week", "3"),),
        buttons=(Button("Snooze", "nudges.snooze", "2w"),),
        image=Image("Offers against targets", "PT: 12 of 39 offered; OT: 5 of 23", PNG),
    )
    queue_message(demo_database, "nuh-coordinator", summary, kind="summary")

    card = page.locator("#log .delivered", has_text="Weekly summary")
    expect(card).to_have_count(1)
    expect(card.locator(".badge.scheduled")).to_have_text("Weekly summary")  # not "Reminder"
    expect(fact(card, "New this week")).to_have_text("3")
    chart = card.get_by_role("img", name="PT: 12 of 39 offered; OT: 5 of 23")
    expect(chart).to_be_visible()
    assert (chart.get_attribute("src") or "").startswith("data:image/png;base64,")
    assert chart.evaluate("img => img.complete && img.naturalWidth") == 1  # the PNG decoded

    snoozed = press(page, card.get_by_role("button", name="Snooze"))
    expect(snoozed).to_contain_text("snoozed until")
    expect(page.locator("#log .delivered", has_text="Weekly summary")).to_have_count(1)
    screenshot(page, "local-chat-inbox.png")
