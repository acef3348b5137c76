"""PlaceBot's artefacts against the platforms' published schemas (tests/schemas, SOURCE.md):
the Teams app manifest, the Slack app manifest, and the Adaptive Cards the bot sends, built by
the real core from the longest realistic lists; and every page of such a list, as each
platform renders it, within the platform's limits, Show more reaching every offer once."""

from __future__ import annotations

import html
import re
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml
from slack_sdk.models.blocks import Block
from sqlalchemy import select

from adapters.slack import blocks
from adapters.teams import cards
from adapters.teams.package import manifest
from bot.kernel.messages import Reply
from config.professions import PROFESSION_CODES
from storage.tables import Organisation, PlacementOffer, Team
from tests.conftest import NOW
from tests.schemas import ADAPTIVE_CARD, SLACK_MANIFEST, TEAMS_MANIFEST, problems
from tests.support.builder import Builder
from tests.support.chat import Chat, button
from tests.support.inbox import Inbox

SLACK_MANIFEST_FILE = Path(__file__).parents[2] / "adapters" / "slack" / "manifest.yml"
ENVELOPE = {"type": "message", "conversation": {"id": "a:1"}, "from": {"id": "b"}}
REF = re.compile(r"PL-2099-\d{4}")


def test_the_teams_manifest_keeps_to_the_published_schema() -> None:
    built = manifest(str(uuid.uuid4()), "placebot.example.nhs.uk")
    assert problems(TEAMS_MANIFEST, built) == []
    broken = {**built, "manifestVersion": 17}
    assert problems(TEAMS_MANIFEST, broken)  # the schema does catch a wrong manifest


def test_the_slack_manifest_keeps_to_the_published_schema() -> None:
    read = yaml.safe_load(SLACK_MANIFEST_FILE.read_text(encoding="utf-8"))
    assert problems(SLACK_MANIFEST, read) == []
    assert problems(SLACK_MANIFEST, {**read, "features": {"slash_commands": "digest"}})


def test_the_card_schema_catches_a_wrong_card() -> None:
    wrong = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": 1}]}
    assert problems(ADAPTIVE_CARD, wrong)


async def _two_hundred_offers(chat: Chat, build: Builder, created: datetime | None = None) -> None:
    async with chat.bot.sessions() as session:
        team = (await session.execute(select(Team).where(Team.name == "Stroke Rehab"))).scalar_one()
    for n in range(200):
        start = date(2027, 2, 1) + timedelta(days=n)
        await build.offer(
            "PT",
            start,
            start + timedelta(weeks=6),
            capacity=2,
            created=created,
            team=team,
            ref_year=2099,
            place="Ward 12, Queen’s Medical Centre, Derby Road, Nottingham, NG7 2UH",
        )


def _slack_checked(reply: Reply) -> str:
    """The reply as Slack shows it, each block valid and within 50; what it shows, as text."""
    shown = blocks.message(reply)["blocks"]
    assert len(shown) <= blocks.MAX_BLOCKS
    for block in shown:
        Block.parse(block).validate_json()  # slack_sdk's own limits: text lengths, fields
    return str(shown)


def _teams_checked(reply: Reply) -> str:
    [activity] = cards.activities(ENVELOPE, reply)
    assert cards.utf16_size(activity) <= cards.MAX_ACTIVITY
    card = activity["attachments"][0]["content"]
    assert problems(ADAPTIVE_CARD, card) == []
    return str(card)


async def test_two_hundred_offers_page_in_list_and_mine_on_slack_and_teams_reaching_each_once(
    chat: Chat, build: Builder
) -> None:
    await _two_hundred_offers(chat, build)
    async with chat.bot.sessions() as session:
        stored = (
            await session.execute(
                select(PlacementOffer.ref)
                .where(PlacementOffer.ref.like("PL-2099-%"))
                .order_by(PlacementOffer.start_date)
            )
        ).scalars()
        expected = list(stored)
    for render, command in [
        (render, command)
        for render in (_slack_checked, _teams_checked)
        for command in ("placement list PT", "placement mine")
    ]:
        seen: list[str] = []
        reply = await chat.say("stroke-physio", command)
        for _ in range(60):
            shown = render(reply)
            # an offer's own card or section, not the note naming those left out
            seen += [r for r in dict.fromkeys(REF.findall(shown.split("The rest:")[0]))]
            more = [b for b in reply.buttons if b.label == "Show more"]
            if not more:
                break
            reply = await chat.press("stroke-physio", button(reply, "Show more"))
        assert sorted(seen) == sorted(set(seen)), f"{render.__name__} {command}: shown twice"
        missing = [r for r in expected if r not in seen]
        assert missing == [], (
            f"{render.__name__} {command}: {len(missing)} never shown, e.g. {missing[:3]}"
        )


def _slack_whole(reply: Reply) -> list[str]:
    """A digest or summary as Slack gets it from the outbox: every part valid, within limits."""
    titles: list[str] = []
    for part in blocks.parts(reply):
        _slack_checked(part)
        titles += [item.title for item in part.items]
    return titles


def _teams_whole(reply: Reply) -> list[str]:
    url = "https://placebot.example.nhs.uk/charts/ab.png?sig=x" if reply.image else None
    sent = cards.activities(ENVELOPE, reply, url, whole=True)
    for activity in sent:
        assert cards.utf16_size(activity) <= cards.MAX_ACTIVITY
        assert problems(ADAPTIVE_CARD, activity["attachments"][0]["content"]) == []
    return [str(a["attachments"][0]["content"]) for a in sent]


def _nothing_lost(reply: Reply) -> None:
    own = [item.title for item in reply.items]
    slack = [t for t in _slack_whole(reply) if t != "Continued in the next message."]
    assert slack == own  # every item once, in order
    teams = "".join(_teams_whole(reply))
    for title in own:
        assert title.replace("“", "").replace("”", "")[:40] in teams.replace("“", "").replace(
            "”", ""
        ), title


async def test_a_digest_of_300_changes_and_50_requests_reaches_the_lead_whole(
    chat: Chat, build: Builder, inbox: Inbox
) -> None:
    await _two_hundred_offers(chat, build, NOW - timedelta(hours=1))
    async with chat.bot.sessions() as session:
        offers = (
            (
                await session.execute(
                    select(PlacementOffer).where(PlacementOffer.ref.like("PL-2099-%"))
                )
            )
            .scalars()
            .all()
        )
        hei = (
            await session.execute(
                select(Organisation).where(Organisation.name == "University of Nottingham")
            )
        ).scalar_one()
    for offer in offers[:50]:
        await build.request(offer, hei, students=1, status="pending", created=NOW)
    for n in range(100):  # a hundred more changes, 300 in all
        start = date(2027, 9, 1) + timedelta(days=n)
        await build.offer(
            "PT", start, start + timedelta(weeks=4), created=NOW - timedelta(hours=2), ref_year=2099
        )
    said = await chat.say("nottingham-lead", "digest now")
    assert said.text.startswith("Your digest is on its way"), said.text
    [digest] = await inbox.deliver()
    assert "300" in str(digest.reply.facts), digest.reply.facts
    _nothing_lost(digest.reply)


async def test_a_summary_of_all_15_professions_reaches_the_faculty_lead_whole(
    chat: Chat,
) -> None:
    for code in PROFESSION_CODES:
        set_ = await chat.say("faculty-lead", f"admin target set {code} 2026/27 39")
        assert set_.tone in ("success", "info"), set_.text
    reply = await chat.say("faculty-lead", "summary")
    assert reply.image is not None
    assert all(code in str(reply) for code in PROFESSION_CODES)
    _nothing_lost(reply)


async def test_app_home_with_every_section_fits_100_blocks_with_its_training(
    chat: Chat, build: Builder
) -> None:
    await _two_hundred_offers(chat, build)
    reply = await chat.bot.home(chat.actor("stroke-physio"))
    shown = blocks.home_blocks(reply)
    assert len(shown) <= blocks.MAX_VIEW_BLOCKS
    for block in shown:
        Block.parse(block).validate_json()
    said = html.unescape(str(shown))  # mrkdwn escapes & < >
    for section in ("Your team", "Blocks that need places", "Next educator training"):
        assert section in said
    missing = [item.title for item in reply.items if item.title[:30] not in said]
    assert missing == [], said[-3000:]  # nothing cut
