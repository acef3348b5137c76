"""PlaceBot's artefacts against the platforms' published schemas (tests/schemas, SOURCE.md):
the Teams app manifest, the Slack app manifest, and the Adaptive Cards the bot sends, built by
the real core from the longest realistic lists; and every page of such a list, as each
platform renders it, within the platform's limits, Show more reaching every offer once."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from pathlib import Path

import yaml
from slack_sdk.models.blocks import Block
from sqlalchemy import select

from adapters.slack import blocks
from adapters.teams import cards
from adapters.teams.package import manifest
from bot.kernel.messages import Reply
from storage.tables import PlacementOffer, Team
from tests.schemas import ADAPTIVE_CARD, SLACK_MANIFEST, TEAMS_MANIFEST, problems
from tests.support.builder import Builder
from tests.support.chat import Chat, button

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


async def _two_hundred_offers(chat: Chat, build: Builder) -> None:
    async with chat.bot.sessions() as session:
        team = (
            await session.execute(select(Team).where(Team.name == "Stroke Rehab"))
        ).scalar_one()
    for n in range(200):
        start = date(2027, 2, 1) + timedelta(days=n)
        await build.offer(
            "PT",
            start,
            start + timedelta(weeks=6),
            capacity=2,
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


async def test_two_hundred_offers_page_on_slack_and_teams_reaching_each_once(
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
    for render in (_slack_checked, _teams_checked):
        seen: list[str] = []
        reply = await chat.say("stroke-physio", "placement list PT")
        for _ in range(60):
            shown = render(reply)
            # an offer's own card or section, not the note naming those left out
            seen += [r for r in dict.fromkeys(REF.findall(shown.split("The rest:")[0]))]
            more = [b for b in reply.buttons if b.label == "Show more"]
            if not more:
                break
            reply = await chat.press("stroke-physio", button(reply, "Show more"))
        assert sorted(seen) == sorted(set(seen)), f"{render.__name__}: shown twice"
        missing = [r for r in expected if r not in seen]
        assert missing == [], f"{render.__name__}: {len(missing)} never shown, e.g. {missing[:3]}"
