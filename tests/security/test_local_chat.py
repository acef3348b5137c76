"""The local chat has no login, so only its own page may use it: a page on another site cannot
post to it (not as a form or text, not with its own Origin), a foreign name that resolves to
this machine cannot read it (DNS rebinding), and `serve` keeps it on loopback unless told."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.server import ConfigurationError, build_app
from adapters.serving import serve
from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.tables import PlacementOffer
from tests.support.chat import Chat, fact

WITHDRAW = '{"user": "faculty-lead", "text": "placement withdraw %s"}'


@pytest.fixture
async def client(bot: PlaceBot, settings: Settings, clock: FixedClock) -> AsyncIterator[TestClient]:
    on = settings.model_copy(update={"placebot_local_chat": True})
    app = build_app(on, make_engine(on.database_url), clock)
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


@pytest.fixture
async def offered(chat: Chat) -> str:
    reply = await chat.say(
        "stroke-physio", "placement offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab"
    )
    assert reply.tone == "success", reply.text
    return fact(reply, "Reference")


async def status_of(engine: AsyncEngine, ref: str) -> str:
    async with make_sessionmaker(engine)() as session:
        found = await session.scalar(select(PlacementOffer.status).where(PlacementOffer.ref == ref))
    return str(found)


def own(client: TestClient) -> str:
    return f"http://127.0.0.1:{client.port}"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
async def test_a_simple_cross_site_post_gets_415_and_withdraws_nothing(
    client: TestClient, engine: AsyncEngine, offered: str, content_type: str
) -> None:
    """The finding: a foreign page's form or text POST withdrew an offer as the faculty lead.
    Refused by its body's type even from the page's own origin, before anything is read."""
    for origin in (None, own(client)):
        headers = {"Content-Type": content_type}
        if origin is not None:
            headers["Origin"] = origin
        response = await client.post("/local/send", data=WITHDRAW % offered, headers=headers)
        assert response.status == 415
        assert "Content-Type: application/json" in await response.text()
    assert await status_of(engine, offered) == "offered"


@pytest.mark.parametrize("path", ["/local/send", "/local/action", "/local/form"])
async def test_a_json_post_from_another_sites_page_gets_403_and_changes_nothing(
    client: TestClient, engine: AsyncEngine, offered: str, path: str
) -> None:
    body = {
        "user": "faculty-lead",
        "text": f"placement withdraw {offered}",
        "action": "offer.withdraw.confirm",  # the one that withdraws, not the one that asks
        "value": offered,
        "form_id": "offer",
        "values": {},
    }
    for origin in (
        "http://attacker.example",
        "null",
        f"http://localhost.attacker.example:{client.port}",
        f"http://127.0.0.1:{client.port}.attacker.example",
        f"http://127.0.0.1:{client.port}@attacker.example",
        f"ftp://127.0.0.1:{client.port}",
        "javascript:alert(1)",
        "http://[",
    ):
        response = await client.post(path, json=body, headers={"Origin": origin})
        assert response.status == 403, origin
    assert await status_of(engine, offered) == "offered"


async def test_the_page_itself_still_withdraws(
    client: TestClient, engine: AsyncEngine, offered: str
) -> None:
    """The same request from the server's own page (or with no Origin, as curl sends) works."""
    for origin in (own(client), f"http://localhost:{client.port}"):
        response = await client.post(
            "/local/send",
            json={"user": "stroke-physio", "text": "placement mine"},
            headers={"Origin": origin},
        )
        assert response.status == 200
    response = await client.post(
        "/local/send", json={"user": "faculty-lead", "text": f"placement withdraw {offered}"}
    )
    assert response.status == 200
    assert await status_of(engine, offered) == "withdrawn"


@pytest.mark.parametrize("path", ["/", "/local/people", "/local/inbox?user=faculty-lead"])
async def test_a_rebound_name_cannot_read_the_local_chat(client: TestClient, path: str) -> None:
    """DNS rebinding: attacker.example resolves to 127.0.0.1, and the browser sends its name."""
    odd = (f"x@127.0.0.1:{client.port}", f"127.0.0.1:{client.port}/x", "[::1", "a:b", "")
    for host in (f"attacker.example:{client.port}", "attacker.example", "127.0.0.1:1", *odd):
        response = await client.get(path, headers={"Host": host})
        assert response.status == 403, host
        assert "own address" in await response.text()
    assert (await client.get(path)).status == 200


async def test_a_rebound_name_cannot_post_either(
    client: TestClient, engine: AsyncEngine, offered: str
) -> None:
    response = await client.post(
        "/local/send",
        data=WITHDRAW % offered,
        headers={"Host": f"attacker.example:{client.port}", "Content-Type": "application/json"},
    )
    assert response.status == 403
    assert await status_of(engine, offered) == "offered"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "placebot.example.org", "::"])
async def test_serve_refuses_the_local_chat_on_a_reachable_host(
    settings: Settings, engine: AsyncEngine, host: str
) -> None:
    exposed = settings.model_copy(update={"placebot_local_chat": True, "host": host})
    with pytest.raises(ConfigurationError) as refused:
        await serve(exposed, "never printed {url}")
    assert "PLACEBOT_LOCAL_CHAT" in str(refused.value)
    assert "PLACEBOT_LOCAL_CHAT_PUBLIC" in str(refused.value)
    assert "HOST" in str(refused.value)
    with pytest.raises(ConfigurationError):
        build_app(exposed, engine)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
async def test_loopback_hosts_and_the_public_opt_in_are_accepted(
    settings: Settings, engine: AsyncEngine, host: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="adapters.server"):
        build_app(settings.model_copy(update={"placebot_local_chat": True, "host": host}), engine)
    assert "LOCAL CHAT IS PUBLIC" not in caplog.text
    public = {"placebot_local_chat": True, "placebot_local_chat_public": True, "host": "0.0.0.0"}
    with caplog.at_level(logging.WARNING, logger="adapters.server"):
        build_app(settings.model_copy(update=public), engine)
    assert "LOCAL CHAT IS PUBLIC" in caplog.text


async def test_with_the_public_opt_in_the_public_url_is_its_own_address(
    bot: PlaceBot, settings: Settings, clock: FixedClock
) -> None:
    public = settings.model_copy(
        update={
            "placebot_local_chat": True,
            "placebot_local_chat_public": True,
            "host": "0.0.0.0",
            "placebot_public_url": "https://placebot.trust.example",
            "placebot_link_secret": "a-long-random-secret-for-signed-links",
        }
    )
    app = build_app(public, make_engine(public.database_url), clock)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        named = {"Host": "placebot.trust.example", "Origin": "https://placebot.trust.example"}
        assert (await client.get("/local/people", headers=named)).status == 200
        foreign = {"Host": "placebot.trust.example", "Origin": "https://attacker.example"}
        assert (await client.get("/local/people", headers=foreign)).status == 403
