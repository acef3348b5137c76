"""Placement blocks are bounded, in chat and in the API alike: students in one block
(PLACEBOT_BLOCK_STUDENTS_MAX) and one HEI's blocks of a profession with overlapping dates
(PLACEBOT_BLOCKS_PER_WINDOW_MAX). Without them an HEI could post block after block of 500
students, take a larger share of places at the release-time settlement and nudge every team."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.chat.placebot import PlaceBot
from config.settings import Settings
from storage.engine import make_sessionmaker
from storage.tables import AuditEvent, PlacementBlock
from tests.conftest import bearer, make_token
from tests.support.chat import Chat

PER_WINDOW = 3
NOTTINGHAM = "University of Nottingham"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url, placebot_blocks_per_window_max=PER_WINDOW, _env_file=None
    )  # type: ignore[call-arg]


def block(**changes: Any) -> dict[str, Any]:
    """A block well clear of the demo's, in 2028."""
    return {
        "profession": "PT",
        "cohort": "PT year 2 block 2",
        "start_date": "2028-01-10",
        "end_date": "2028-02-18",
        "students": 12,
        "offers_close": "2027-12-01",
        **changes,
    }


async def blocks_and_audit(engine: AsyncEngine) -> tuple[int, int]:
    async with make_sessionmaker(engine)() as session:
        blocks = await session.scalar(select(func.count()).select_from(PlacementBlock))
        audits = await session.scalar(select(func.count()).select_from(AuditEvent))
    return int(blocks or 0), int(audits or 0)


def test_the_defaults() -> None:
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert defaults.placebot_block_students_max == 60
    assert defaults.placebot_blocks_per_window_max == 20


async def test_a_500_student_block_is_refused_in_the_api_and_nothing_is_stored(
    api: TestClient, bot: PlaceBot, engine: AsyncEngine
) -> None:
    secret = await make_token(bot, NOTTINGHAM)
    before = await blocks_and_audit(engine)
    refused = await api.post("/api/v1/blocks", json=block(students=500), headers=bearer(secret))
    assert refused.status == 400
    answer = await refused.json()
    assert answer["field"] == "students"
    assert "from 1 to 60 students" in answer["error"]
    assert "several blocks" in answer["error"]
    assert await blocks_and_audit(engine) == before
    allowed = await api.post("/api/v1/blocks", json=block(students=60), headers=bearer(secret))
    assert allowed.status == 201


async def test_a_500_student_block_is_refused_in_chat_and_nothing_is_stored(
    chat: Chat, engine: AsyncEngine
) -> None:
    before = await blocks_and_audit(engine)
    reply = await chat.say(
        "nottingham-lead",
        "placement block add PT year 2 block 2 10 Jan - 18 Feb 2028 500 students close 1 Dec 2027",
    )
    assert reply.tone != "success"
    assert "from 1 to 60 students" in reply.text
    assert await blocks_and_audit(engine) == before


async def test_the_api_limits_an_hei_s_overlapping_blocks_of_one_profession(
    api: TestClient, bot: PlaceBot, engine: AsyncEngine
) -> None:
    secret = await make_token(bot, NOTTINGHAM)
    for n in range(PER_WINDOW):
        created = await api.post(
            "/api/v1/blocks", json=block(cohort=f"PT year 2 group {n}"), headers=bearer(secret)
        )
        assert created.status == 201
    before = await blocks_and_audit(engine)
    overlapping = block(start_date="2028-02-01", end_date="2028-03-10", offers_close="2028-01-01")
    refused = await api.post("/api/v1/blocks", json=overlapping, headers=bearer(secret))
    assert refused.status == 422  # well formed, against a stated rule
    message = (await refused.json())["error"]
    assert f"already has {PER_WINDOW} PT blocks overlapping" in message
    assert "ask the AHP faculty to raise the limit" in message
    assert await blocks_and_audit(engine) == before
    # Other windows, other professions and other HEIs are not held back.
    later = block(start_date="2028-04-03", end_date="2028-05-12", offers_close="2028-03-01")
    assert (await api.post("/api/v1/blocks", json=later, headers=bearer(secret))).status == 201
    other = block(profession="OT", cohort="OT year 1")
    assert (await api.post("/api/v1/blocks", json=other, headers=bearer(secret))).status == 201
    sheffield = await make_token(bot, "Sheffield Hallam University")
    assert (await api.post("/api/v1/blocks", json=block(), headers=bearer(sheffield))).status == 201


async def test_chat_keeps_to_the_same_bound(
    api: TestClient, bot: PlaceBot, chat: Chat, engine: AsyncEngine
) -> None:
    secret = await make_token(bot, NOTTINGHAM)
    for n in range(PER_WINDOW):
        body = block(cohort=f"PT group {n}")
        assert (await api.post("/api/v1/blocks", json=body, headers=bearer(secret))).status == 201
    before = await blocks_and_audit(engine)
    reply = await chat.say(
        "nottingham-lead",
        "placement block add PT year 3 20 Jan - 28 Feb 2028 10 students close 1 Dec 2027",
    )
    assert reply.tone != "success"
    assert f"already has {PER_WINDOW} PT blocks overlapping" in reply.text
    assert await blocks_and_audit(engine) == before


async def test_blocks_added_at_once_never_pass_the_bound(
    api: TestClient, bot: PlaceBot, engine: AsyncEngine
) -> None:
    secret = await make_token(bot, NOTTINGHAM)
    for n in range(PER_WINDOW - 1):
        body = block(cohort=f"PT group {n}")
        assert (await api.post("/api/v1/blocks", json=body, headers=bearer(secret))).status == 201
    answers = await asyncio.gather(
        *(
            api.post("/api/v1/blocks", json=block(cohort=f"PT race {n}"), headers=bearer(secret))
            for n in range(4)
        )
    )
    assert sorted(answer.status for answer in answers) == [201, 422, 422, 422]
    async with make_sessionmaker(engine)() as session:
        mine = await session.scalar(
            select(func.count())
            .select_from(PlacementBlock)
            .where(PlacementBlock.start_date == date(2028, 1, 10))
        )
    assert mine == PER_WINDOW
