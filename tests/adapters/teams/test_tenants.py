"""MICROSOFT_ALLOWED_TENANTS: only the listed tenants are served; any other gets 403 and nothing
is stored. The Bot Framework JWT (when an app id is set) is still checked first."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from adapters.server import build_app
from bot.kernel.clock import FixedClock
from config.settings import Settings
from storage.engine import make_engine
from storage.tables import Base
from tests.support import teams_wire as wire
from tests.support.chat import Chat
from tests.support.fakes.bot_connector import FakeConnector
from tests.support.fakes.bot_framework_keys import BotFrameworkKeys
from tests.support.teams_rig import teams_server, teams_settings

OFFER = "placement offer OT 1 Feb - 12 Mar 2027 2 students at Bassetlaw Hospital"
OTHER = "0b5e2f43-5d6c-4b5e-9f1a-2c3d4e5f6a7b"  # a listed tenant; the wire's own then is not
APP_ID = "c9e8c047-2a74-40a2-b28a-b162d5f5327c"
RECORDED = {
    "people",
    "identities",
    "inbound_receipts",
    "placement_offers",
    "audit_events",
    "conversation_references",
}


async def rows(chat: Chat) -> dict[str, int]:
    """How many rows every table holds."""
    async with chat.bot.sessions() as session:
        return {
            table.name: (
                await session.execute(select(func.count()).select_from(table))
            ).scalar_one()
            for table in Base.metadata.sorted_tables
        }


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "adapters.teams.identity"]


ACTIVITIES: dict[str, Callable[[str], dict[str, Any]]] = {
    "message": lambda url: wire.message(url, OFFER),
    "card submit": lambda url: wire.message(url, value={"action": "home", "value": ""}),
    "invoke": lambda url: wire.execute(url, {"action": "home", "value": ""}),
    "installed": wire.installed,
}


async def test_an_activity_from_a_listed_tenant_is_served_as_before(
    settings: Settings, clock: FixedClock, chat: Chat
) -> None:
    listed = {OTHER, wire.TENANT.upper()}  # tenant ids are GUIDs: any case
    async with teams_server(settings, clock, chat, microsoft_allowed_tenants=listed) as rig:
        body = await rig.say(OFFER)
    assert "is in the register" in body["text"]
    after = await rows(chat)
    assert after["placement_offers"] == 1
    assert after["conversation_references"] == 1


@pytest.mark.parametrize("kind", ACTIVITIES)
async def test_an_activity_from_another_tenant_gets_403_and_stores_nothing(
    settings: Settings, clock: FixedClock, chat: Chat, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with teams_server(settings, clock, chat, microsoft_allowed_tenants={OTHER}) as rig:
        before = await rows(chat)
        with caplog.at_level(logging.WARNING, logger="adapters.teams.identity"):
            response = await rig.post(ACTIVITIES[kind](rig.connector.service_url))
        assert response.status == 403
        assert await response.json() == {"error": "this tenant is not served here"}
        await asyncio.sleep(0.3)
        assert await rows(chat) == before
        assert set(before) >= RECORDED
        assert rig.connector.sent == []
    [refusal] = refusals(caplog)
    assert refusal.levelno == logging.WARNING
    message = refusal.getMessage()
    assert wire.TENANT in message
    assert "Occupational Therapist" not in message and wire.user()["aadObjectId"] not in message


def only_in(where: str, tenant: str) -> Callable[[dict[str, Any]], None]:
    def change(activity: dict[str, Any]) -> None:
        activity["conversation"].pop("tenantId")
        activity["channelData"].pop("tenant")
        if where == "conversation":
            activity["conversation"]["tenantId"] = tenant
        elif where == "channelData":
            activity["channelData"]["tenant"] = {"id": tenant}

    return change


@pytest.mark.parametrize("where", ["conversation", "channelData"])
async def test_the_tenant_is_read_from_either_place_teams_sends_it(
    settings: Settings, clock: FixedClock, chat: Chat, where: str
) -> None:
    async with teams_server(settings, clock, chat, microsoft_allowed_tenants={OTHER}) as rig:
        served = wire.message(rig.connector.service_url, OFFER)
        only_in(where, OTHER)(served)
        assert (await rig.post(served)).status == 200
        await rig.connector.wait_for(1)
        refused = wire.message(rig.connector.service_url, OFFER)
        only_in(where, wire.TENANT)(refused)
        assert (await rig.post(refused)).status == 403
    assert (await rows(chat))["placement_offers"] == 1


@pytest.mark.parametrize("case", ["no tenant", "two tenants"])
async def test_an_activity_naming_no_tenant_or_an_outside_one_anywhere_is_refused(
    settings: Settings, clock: FixedClock, chat: Chat, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with teams_server(settings, clock, chat, microsoft_allowed_tenants={OTHER}) as rig:
        activity = wire.message(rig.connector.service_url, OFFER)
        if case == "no tenant":
            only_in("nowhere", "")(activity)
        else:  # listed in conversation, but channelData names another tenant
            activity["conversation"]["tenantId"] = OTHER
        before = await rows(chat)
        with caplog.at_level(logging.WARNING, logger="adapters.teams.identity"):
            assert (await rig.post(activity)).status == 403
        await asyncio.sleep(0.2)
        assert await rows(chat) == before
        assert rig.connector.sent == []
    assert len(refusals(caplog)) == 1


async def test_an_empty_list_serves_any_tenant(
    settings: Settings, clock: FixedClock, chat: Chat
) -> None:
    async with teams_server(settings, clock, chat, microsoft_allowed_tenants=frozenset()) as rig:
        body = await rig.say(OFFER)
    assert "is in the register" in body["text"]


async def test_with_an_app_id_the_token_is_checked_before_the_tenant(
    settings: Settings, clock: FixedClock, chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    with BotFrameworkKeys() as keys:
        async with FakeConnector() as connector:
            configured = teams_settings(
                settings,
                connector,
                microsoft_app_id=APP_ID,
                microsoft_app_password="secret",
                microsoft_openid_metadata_url=keys.metadata_url,
                microsoft_allowed_tenants={OTHER},
            )
            app = build_app(configured, make_engine(settings.database_url), clock)
            async with TestClient(TestServer(app)) as client:
                before = await rows(chat)
                activity = wire.message(connector.service_url, OFFER)
                with caplog.at_level(logging.WARNING, logger="adapters.teams.identity"):
                    unsigned = await client.post("/api/messages", json=activity)
                    forged = keys.authorization("another-bots-app-id", connector.service_url)
                    other_bot = await client.post(
                        "/api/messages", json=activity, headers={"Authorization": forged}
                    )
                assert (unsigned.status, other_bot.status) == (401, 401)
                assert refusals(caplog) == []  # refused as unauthenticated, not by tenant
                good = keys.authorization(APP_ID, connector.service_url)
                signed = await client.post(
                    "/api/messages", json=activity, headers={"Authorization": good}
                )
                assert signed.status == 403
                await asyncio.sleep(0.2)
                assert await rows(chat) == before
        assert connector.sent == []


def test_allowed_tenants_are_read_from_the_environment_as_a_comma_separated_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MICROSOFT_ALLOWED_TENANTS", f"{wire.TENANT} , {OTHER},")
    assert Settings(_env_file=None).microsoft_allowed_tenants == {wire.TENANT, OTHER}  # type: ignore[call-arg]
    monkeypatch.setenv("MICROSOFT_ALLOWED_TENANTS", " ")
    assert Settings(_env_file=None).microsoft_allowed_tenants == frozenset()  # type: ignore[call-arg]
