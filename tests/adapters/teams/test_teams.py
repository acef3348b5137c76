"""Teams, offline: activities in Teams' wire format into /api/messages, a fake Bot Connector out."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.server import build_app
from adapters.teams.app import TEAMS_EDGE
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Image, Reply
from config.settings import Settings
from storage.engine import make_engine
from storage.tables import ConversationReference, Person, PlacementOffer
from tests.support import teams_wire as wire
from tests.support.chat import Chat
from tests.support.fakes.bot_connector import FakeConnector
from tests.support.images import ONE_PIXEL_PNG
from tests.support.teams_rig import TeamsRig, actions, teams_settings

OFFER = "placement offer OT 1 Feb - 12 Mar 2027 2 students at Bassetlaw Hospital"


async def test_a_message_offer_is_answered_with_an_adaptive_card(teams_rig: TeamsRig) -> None:
    body = await teams_rig.say(OFFER)
    card = teams_rig.card(body)
    assert card["version"] == "1.5"
    facts = {
        f["title"]: f["value"] for e in card["body"] if e["type"] == "FactSet" for f in e["facts"]
    }
    assert facts["Reference"] == "PL-2027-0001"
    assert facts["Dates"] == "Mon 1 Feb 2027 – Fri 12 Mar 2027 (6 weeks)"
    assert [a["title"] for a in actions(card)] == ["Edit", "Withdraw"]
    assert teams_rig.connector.sent[0].path.endswith(body["replyToId"])
    assert await teams_rig.chat.count(PlacementOffer) == 1


async def test_a_channel_mention_is_stripped(teams_rig: TeamsRig) -> None:
    body = await teams_rig.say(
        f"<at>PlaceBot</at> {OFFER}", channel=True, conversation="19:abc@thread.skype;messageid=1"
    )
    assert "in the register" in body["text"]


async def test_a_redelivered_activity_creates_one_record(teams_rig: TeamsRig) -> None:
    activity = wire.message(teams_rig.connector.service_url, OFFER, activity_id="f:redelivered")
    for _ in range(3):
        assert (await teams_rig.post(activity)).status == 200
    await teams_rig.connector.wait_for(1)
    await asyncio.sleep(0.3)
    assert len(teams_rig.connector.sent) == 1
    assert await teams_rig.chat.count(PlacementOffer) == 1


async def test_action_execute_withdraws_and_answers_in_the_response(teams_rig: TeamsRig) -> None:
    card = teams_rig.card(await teams_rig.say(OFFER))
    withdraw = next(a for a in actions(card) if a["title"] == "Withdraw")
    asking = await teams_rig.post(
        wire.execute(teams_rig.connector.service_url, withdraw["data"], withdraw["verb"])
    )
    assert asking.status == 200
    asked = (await asking.json())["value"]
    assert asked["body"][0]["text"].startswith("Withdraw PL-2027-0001?")
    yes = next(a for a in actions(asked) if a["title"] == "Yes, withdraw")
    response = await teams_rig.post(
        wire.execute(teams_rig.connector.service_url, yes["data"], yes["verb"])
    )
    assert response.status == 200
    answer = await response.json()
    assert answer["statusCode"] == 200
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    assert "PL-2027-0001 is withdrawn." in answer["value"]["body"][0]["text"]


async def test_the_form_card_submits_and_errors_keep_the_values(teams_rig: TeamsRig) -> None:
    card = teams_rig.card(await teams_rig.say("placement offer"))
    inputs = {e["id"]: e for e in card["body"] if e["type"].startswith("Input.")}
    assert {"profession", "start", "end", "capacity", "place"} <= set(inputs)
    [submit] = [a for a in card["actions"] if a["title"] == "Post offer"]
    data = {
        **submit["data"],
        "profession": "OT",
        "start": "31/02/2027",
        "end": "12 Mar 2027",
        "capacity": "2",
        "place": "Bassetlaw Hospital",
    }
    bad = await (
        await teams_rig.post(wire.execute(teams_rig.connector.service_url, data, submit["verb"]))
    ).json()
    again = {e["id"]: e for e in bad["value"]["body"] if e["type"].startswith("Input.")}
    assert "not a date in the calendar" in again["start"]["errorMessage"]
    assert again["place"]["value"] == "Bassetlaw Hospital"
    data["start"] = "1 Feb 2027"
    good = await (
        await teams_rig.post(wire.execute(teams_rig.connector.service_url, data, submit["verb"]))
    ).json()
    assert "in the register" in good["value"]["body"][0]["text"]
    assert await teams_rig.chat.count(PlacementOffer) == 1


async def test_action_submit_arrives_as_a_message_value(teams_rig: TeamsRig) -> None:
    card = teams_rig.card(await teams_rig.say(OFFER))
    withdraw = next(a for a in actions(card) if a["title"] == "Withdraw")
    body = await teams_rig.say("", value=withdraw["data"])
    assert body["text"].startswith("Withdraw PL-2027-0001?")


async def test_unsupported_invokes_get_a_proper_answer(teams_rig: TeamsRig) -> None:
    for name in ("task/fetch", "composeExtension/query", "signin/verifyState"):
        activity = wire.execute(teams_rig.connector.service_url, {})
        activity["name"] = name
        response = await teams_rig.post(activity)
        assert response.status == 501
    weird = wire.execute(teams_rig.connector.service_url, {"action": "offer.explode", "value": "x"})
    assert (await teams_rig.post(weird)).status == 200
    for value in ("a string", 42, None, {"action": "not an object"}, {"action": {"data": [1]}}):
        odd = wire.execute(teams_rig.connector.service_url, {})
        odd["value"] = value
        odd["from"] = "not an object"
        assert (await teams_rig.post(odd)).status == 200


async def test_malformed_bodies_are_refused_politely(teams_rig: TeamsRig) -> None:
    assert (await teams_rig.client.post("/api/messages", data=b"{not json")).status == 400
    assert (await teams_rig.client.post("/api/messages", json=[1, 2])).status == 400
    assert (await teams_rig.post({"type": "message", "channelId": "msteams"})).status == 200
    huge = {"type": "message", "text": "a" * 100_000}
    assert (await teams_rig.post(huge)).status == 413  # the server's body limit
    await asyncio.sleep(0.2)
    assert await teams_rig.chat.count(PlacementOffer) == 0


async def test_proactive_send_reaches_the_stored_conversation_after_a_restart(
    engine: AsyncEngine, settings: Settings, clock: FixedClock, chat: Chat
) -> None:
    async with FakeConnector() as connector:
        configured = teams_settings(settings, connector, placebot_teams_allow_unauthenticated="1")
        first = build_app(configured, make_engine(settings.database_url), clock)
        async with TestClient(TestServer(first)) as client:
            response = await client.post(
                "/api/messages", json=wire.installed(connector.service_url, n=3)
            )
            assert response.status == 200
            await first[TEAMS_EDGE].work.drain()
        assert await chat.count(ConversationReference) == 1
        restarted = build_app(configured, make_engine(settings.database_url), clock)
        async with TestClient(TestServer(restarted)):
            async with chat.bot.sessions() as session:
                person = (
                    await session.execute(Person.__table__.select().order_by(Person.id.desc()))
                ).first()
            await restarted[TEAMS_EDGE].send(
                person.id, Reply(text="PL-2027-0001 starts in 14 days: confirm it?")
            )
        [sent] = connector.sent
        assert sent.path == "/v3/conversations/a:1personal/activities"
        assert sent.body["text"].startswith("PL-2027-0001 starts")
        assert sent.body["recipient"]["name"] == "Occupational Therapist 3"


async def test_a_429_from_the_connector_is_retried(teams_rig: TeamsRig) -> None:
    teams_rig.connector.rate_limit(retry_after=1)
    body = await teams_rig.say("placement help")
    assert "PlaceBot keeps" in body["text"]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0."],
)
async def test_with_an_app_id_unauthenticated_requests_get_401_and_change_nothing(
    engine: AsyncEngine,
    settings: Settings,
    clock: FixedClock,
    chat: Chat,
    authorization: str | None,
) -> None:
    async with FakeConnector() as connector:
        configured = teams_settings(
            settings,
            connector,
            microsoft_app_id="c9e8c047-2a74-40a2-b28a-b162d5f5327c",
            microsoft_app_password="secret",
            microsoft_openid_metadata_url="http://127.0.0.1:9/openid",  # offline: refused
        )
        app = build_app(configured, make_engine(settings.database_url), clock)
        async with TestClient(TestServer(app)) as client:
            headers = {"Authorization": authorization} if authorization else {}
            response = await client.post(
                "/api/messages", json=wire.message(connector.service_url, OFFER), headers=headers
            )
            assert response.status == 401
            await asyncio.sleep(0.2)
        assert await chat.count(PlacementOffer) == 0
        assert await chat.count(Person) == 7
        assert connector.sent == []


async def test_without_an_app_id_or_the_local_switch_teams_is_not_mounted(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    app = build_app(settings, make_engine(settings.database_url), clock)
    async with TestClient(TestServer(app)) as client:
        assert (await client.post("/api/messages", json={})).status == 404


def test_teams_package_holds_the_manifest_and_two_icons(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import zipfile

    from adapters import cli

    monkeypatch.setenv("MICROSOFT_APP_ID", "c9e8c047-2a74-40a2-b28a-b162d5f5327c")
    monkeypatch.setenv("MICROSOFT_APP_PASSWORD", "secret")
    out = tmp_path / "placebot.zip"
    assert cli.main(["teams-package", "--host", "placebot.example.org", "-o", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        color = archive.read("color.png")
    assert manifest["bots"][0]["botId"] == "c9e8c047-2a74-40a2-b28a-b162d5f5327c"
    assert manifest["validDomains"] == ["placebot.example.org"]
    assert color.startswith(b"\x89PNG") and int.from_bytes(color[16:20], "big") == 192


async def test_with_an_app_id_a_properly_signed_request_is_served_and_replies_carry_a_cached_token(
    engine: AsyncEngine, settings: Settings, clock: FixedClock, chat: Chat
) -> None:
    from tests.support.fakes.bot_framework_keys import BotFrameworkKeys

    app_id = "c9e8c047-2a74-40a2-b28a-b162d5f5327c"
    with BotFrameworkKeys() as keys:
        async with FakeConnector(token_delay=0.05) as connector:
            configured = teams_settings(
                settings,
                connector,
                microsoft_app_id=app_id,
                microsoft_app_password="secret",
                microsoft_openid_metadata_url=keys.metadata_url,
            )
            app = build_app(configured, make_engine(settings.database_url), clock)
            async with TestClient(TestServer(app)) as client:
                for n in range(3):
                    activity = wire.message(
                        connector.service_url, OFFER if n == 0 else "placement mine"
                    )
                    good = keys.authorization(app_id, connector.service_url)
                    assert (
                        await client.post(
                            "/api/messages", json=activity, headers={"Authorization": good}
                        )
                    ).status == 200
                forged = keys.authorization("another-bots-app-id", connector.service_url)
                activity = wire.message(connector.service_url, OFFER)
                assert (
                    await client.post(
                        "/api/messages", json=activity, headers={"Authorization": forged}
                    )
                ).status == 401
                expired = keys.authorization(app_id, connector.service_url, exp=1_700_000_000)
                assert (
                    await client.post(
                        "/api/messages", json=activity, headers={"Authorization": expired}
                    )
                ).status == 401
                wrong_service = keys.authorization(app_id, "https://smba.example.net/")
                assert (
                    await client.post(
                        "/api/messages", json=activity, headers={"Authorization": wrong_service}
                    )
                ).status == 401
                sent = await connector.wait_for(3)
        assert {s.authorization for s in sent} == {"Bearer fake-app-token"}
        assert connector.token_requests == 1  # one token for every turn
        assert await chat.count(PlacementOffer) == 1


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from adapters.teams.connector import retry_after

    assert retry_after("3") == 3.0
    assert retry_after(None) == 1.0
    assert retry_after("soon") == 1.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= retry_after(later) <= 30


async def test_a_chart_arrives_in_the_card_as_an_inline_image_with_alt_text(
    teams_rig: TeamsRig,
) -> None:
    await teams_rig.say("placement help")  # the bot keeps the person's conversation
    async with teams_rig.chat.bot.sessions() as session:
        person_id = (await session.execute(select(func.max(Person.id)))).scalar_one()
    chart = Image("Offers against targets", "PT: 12 of 39 offered; OT: 5 of 23", ONE_PIXEL_PNG)
    reply = Reply(text="Weekly summary: 12 of 39 PT placements offered.", image=chart)
    await teams_rig.client.app[TEAMS_EDGE].send(person_id, reply)
    sent = await teams_rig.connector.wait_for(2)
    card = teams_rig.card(sent[1].body)
    [image] = [element for element in card["body"] if element["type"] == "Image"]
    assert image["url"] == f"data:image/png;base64,{ONE_PIXEL_PNG}"
    assert image["altText"] == "PT: 12 of 39 offered; OT: 5 of 23"
    assert "Offers against targets" in [e.get("text") for e in card["body"]]


def test_a_chart_too_big_for_a_teams_message_is_told_in_words() -> None:
    from adapters.teams import cards

    big = Image("Offers against targets", "PT: 12 of 39 offered", "A" * 40_000)
    body = cards.card(Reply(text="Weekly summary.", image=big))["body"]
    assert [e for e in body if e["type"] == "Image"] == []
    assert "Offers against targets: PT: 12 of 39 offered" in [e.get("text") for e in body]
