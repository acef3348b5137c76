"""The aiohttp server: health and readiness, and the local chat's JSON edge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.server import build_app
from bot import demo
from bot.kernel.clock import FixedClock
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.tables import PlacementOffer
from tests.support.chat import Chat

JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def client(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> AsyncIterator[TestClient]:
    async with make_sessionmaker(engine).begin() as session:
        await demo.load(session, clock, settings)
    app = build_app(
        settings.model_copy(update={"placebot_local_chat": True}),
        make_engine(settings.database_url),
        clock,
    )
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_health_and_readiness(client: TestClient) -> None:
    assert (await (await client.get("/healthz")).json()) == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["status"] == "ready"


async def test_readiness_fails_on_a_database_behind_head(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/empty.db"
    app = build_app(Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
    async with TestClient(TestServer(app)) as test_client:
        response = await test_client.get("/readyz")
        assert response.status == 503
        assert "placebot migrate" in (await response.json())["reason"]


async def test_readiness_fails_when_the_database_is_unreachable() -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"
    app = build_app(Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
    async with TestClient(TestServer(app)) as test_client:
        response = await test_client.get("/readyz")
        assert response.status == 503
        assert "unreachable" in (await response.json())["reason"]


async def test_the_local_chat_speaks_json(client: TestClient, engine: AsyncEngine) -> None:
    people = await (await client.get("/local/people")).json()
    assert {"user": "stroke-physio", "name": "Physiotherapist, Stroke Rehab (demo)"} in people[
        "people"
    ]
    page = await client.get("/")
    assert "PlaceBot" in await page.text()

    posted = await client.post(
        "/local/send",
        json={
            "user": "stroke-physio",
            "text": "placement offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab",
        },
    )
    reply = await posted.json()
    assert reply["tone"] == "success"
    withdraw = next(b for b in reply["buttons"] if b["label"] == "Withdraw")
    asking = await client.post(
        "/local/action",
        json={"user": "stroke-physio", "action": withdraw["action"], "value": withdraw["value"]},
    )
    yes = next(b for b in (await asking.json())["buttons"] if b["label"] == "Yes, withdraw")
    pressed = await client.post(
        "/local/action",
        json={"user": "stroke-physio", "action": yes["action"], "value": yes["value"]},
    )
    assert " is withdrawn." in (await pressed.json())["text"]

    form = await (
        await client.post("/local/send", json={"user": "stroke-physio", "text": "placement offer"})
    ).json()
    assert form["form"]["form_id"] == "offer.create"
    submitted = await client.post(
        "/local/form",
        json={
            "user": "stroke-physio",
            "form_id": "offer.create",
            "values": {"profession": "PT", "capacity": "x"},
        },
    )
    errors = {
        f["name"]: f["error"] for f in (await submitted.json())["form"]["fields"] if f["error"]
    }
    assert set(errors) >= {"start", "capacity", "place"}


async def test_the_local_chat_refuses_malformed_requests(client: TestClient) -> None:
    assert (await client.post("/local/send", data=b"{not json", headers=JSON)).status == 400
    assert (await client.post("/local/send", json=["a list"])).status == 400
    assert (await client.post("/local/send", json={"text": "placement help"})).status == 400
    odd = await client.post("/local/send", json={"user": "x", "text": 42, "name": ["y"]})
    assert odd.status == 200  # a non-text message is treated as empty text, never a crash
    too_big = await client.post("/local/send", json={"user": "x", "text": "a" * 100_000})
    assert too_big.status == 413


async def test_nothing_is_stored_by_a_refused_request(
    client: TestClient, bot: object, chat: Chat
) -> None:
    await client.post("/local/send", data=b"{not json", headers=JSON)
    assert await chat.count(PlacementOffer) == 0
