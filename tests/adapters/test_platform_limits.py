"""The biggest realistic replies fit each platform, say how many they show, and lose nothing
when split; a chart is served only by its signed, unexpired link."""

from __future__ import annotations

import base64
from datetime import timedelta

from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.models.blocks import Block
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters import charts
from adapters.server import build_app
from adapters.slack import blocks
from adapters.teams import cards
from bot.kernel.clock import FixedClock
from bot.kernel.jobs import JobContext
from bot.kernel.messages import Button, Fact, Image, Item, Reply
from bot.runtime import housekeeping
from config.settings import Settings
from storage import charts as stored_charts
from storage.engine import make_sessionmaker
from storage.tables import Chart
from tests.support.images import ONE_PIXEL_PNG

ENVELOPE = {"type": "message", "conversation": {"id": "a:1"}, "from": {"id": "b"}}


def offer(n: int) -> Item:
    facts = tuple(Fact(f"Field {k}", "Ward 12, Queen’s Medical Centre " * 3) for k in range(9))
    buttons = (
        Button("Edit", "offer.edit", f"PL-2027-{n:04d}:1"),
        Button("Withdraw", "offer.withdraw", f"PL-2027-{n:04d}:1", style="danger"),
    )
    return Item(f"PL-2027-{n:04d} · PT · City Hospital", facts, buttons, "Notes " * 40)


def offers(count: int) -> Reply:
    return Reply(text=f"Your offers: {count}.", items=tuple(offer(n) for n in range(count)))


def test_fifty_offers_in_slack_fit_50_blocks_valid_and_say_how_many_they_show() -> None:
    shown = blocks.message_blocks(offers(50))
    assert len(shown) <= 50
    for block in shown:
        Block.parse(block).validate_json()  # slack_sdk's own limits: text lengths, fields
    said = str(shown[-2:])
    assert "of 50 here" in said and "The rest: PL-2027-" in said


def test_a_digest_for_slack_is_split_with_nothing_left_out() -> None:
    parts = blocks.parts(offers(50))
    assert len(parts) > 1
    titles = [i.title for p in parts for i in p.items if i.title.startswith("PL-")]
    assert titles == [offer(n).title for n in range(50)]
    assert all(len(blocks.message_blocks(p)) <= 50 for p in parts)


def test_fifty_offers_in_teams_fit_80_kb_of_utf16_and_say_how_many_they_show() -> None:
    [activity] = cards.activities(ENVELOPE, offers(50))
    assert cards.utf16_size(activity) <= 80_000
    body = str(activity["attachments"][0]["content"]["body"][-1])
    assert "of 50 here" in body


def test_a_teams_summary_from_the_outbox_goes_whole_over_several_activities() -> None:
    sent = cards.activities(ENVELOPE, offers(50), whole=True)
    assert len(sent) > 1 and all(cards.utf16_size(a) <= 80_000 for a in sent)
    shown = str([a["attachments"][0]["content"]["body"] for a in sent])
    assert all(f"PL-2027-{n:04d}" in shown for n in range(50))


def test_a_show_more_button_stays_whatever_is_cut() -> None:
    reply = Reply(
        text="Offers: 50.",
        items=offers(50).items,
        buttons=(Button("Show more", "list.more", "page:2"),),
    )
    assert "Show more" in str(blocks.message_blocks(reply)[:3])
    [activity] = cards.activities(ENVELOPE, reply)
    assert "Show more" in str(activity["attachments"][0]["content"].get("actions"))


async def test_a_chart_opens_by_its_signed_link_and_not_altered_or_expired(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    settings = settings.model_copy(
        update={"placebot_public_url": "https://placebot.example", "placebot_link_secret": "s" * 32}
    )
    app = build_app(settings, engine, clock)
    links = app[charts.CHARTS]
    url = await links.url(Image("Chart", "PT 4 of 39", ONE_PIXEL_PNG))
    assert url is not None and url.startswith("https://placebot.example/charts/")
    path = url.removeprefix("https://placebot.example")
    async with TestClient(TestServer(app)) as client:
        good = await client.get(path)
        assert good.status == 200 and await good.read() == base64.b64decode(ONE_PIXEL_PNG)
        assert (await client.get(path[:-3] + "xyz")).status == 403
        other = path.replace(path.split("/")[2][:4], "0000", 1)
        assert (await client.get(other)).status == 403
        clock.at += charts.KEEP + timedelta(minutes=1)
        assert (await client.get(path)).status == 403


def test_a_teams_card_shows_the_chart_by_its_url_not_inline() -> None:
    big = Image("Chart", "PT 4 of 39", "A" * 45_000)  # the 15-profession chart's size
    url = "https://placebot.example/charts/ab.png?sig=x"
    [activity] = cards.activities(ENVELOPE, Reply(text="Summary.", image=big), url)
    [image] = [e for e in activity["attachments"][0]["content"]["body"] if e["type"] == "Image"]
    assert image["url"] == url and image["altText"] == "PT 4 of 39"
    assert cards.utf16_size(activity) < 80_000


async def test_housekeeping_drops_an_expired_chart_and_keeps_a_live_one(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    sessions = make_sessionmaker(engine)
    old_png, new_png = base64.b64decode(ONE_PIXEL_PNG), base64.b64decode(ONE_PIXEL_PNG) + b"\0"
    async with sessions.begin() as session:
        old = await stored_charts.keep(session, old_png, clock.now(), clock.now() + charts.KEEP)
    clock.at += charts.KEEP + timedelta(minutes=1)
    async with sessions.begin() as session:
        new = await stored_charts.keep(session, new_png, clock.now(), clock.now() + charts.KEEP)
    await housekeeping.tidy(JobContext(sessions, clock, settings))
    async with sessions() as session:
        kept = set((await session.execute(select(Chart.id))).scalars())
    assert kept == {new} and old != new
