"""The register API answers as its OpenAPI document says: a method a path does not take is 405
with `Allow`; an unknown offer's requests are 404 like the offer; professions are the document's
enum; a whole number is one however JSON writes it."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from adapters.register_api.openapi import document
from bot.chat.placebot import PlaceBot
from bot.kernel.professions import SPELLINGS
from config.settings import Settings
from tests.conftest import bearer, make_token
from tests.support.chat import Chat, fact

NOTTINGHAM = "University of Nottingham"


async def _offer(chat: Chat) -> str:
    reply = await chat.say(
        "stroke-physio", "placement offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab"
    )
    assert reply.tone == "success", reply.text
    return fact(reply, "Reference")


async def test_every_route_answers_an_unknown_method_405_with_allow(
    api: TestClient, bot: PlaceBot, settings: Settings
) -> None:
    secret = await make_token(bot, NOTTINGHAM)
    for path, operations in document(settings)["paths"].items():
        path = path.replace("{ref}", "PL-2027-0001")
        response = await api.request("DELETE", path, headers=bearer(secret))
        assert response.status == 405, path
        allowed = {m.strip() for m in response.headers["Allow"].split(",")}
        assert {m.upper() for m in operations} <= allowed, path
        assert "DELETE" not in allowed
        assert (await response.json())["error"]


async def test_requests_of_an_unknown_offer_are_404_like_the_offer(
    api: TestClient, bot: PlaceBot, chat: Chat
) -> None:
    ref = await _offer(chat)
    secret = await make_token(bot, NOTTINGHAM)
    known = await api.get(f"/api/v1/placements/{ref}/requests", headers=bearer(secret))
    assert known.status == 200 and (await known.json()) == {"items": []}
    for path in ("/api/v1/placements/PL-2027-9999", "/api/v1/placements/PL-2027-9999/requests"):
        response = await api.get(path, headers=bearer(secret))
        assert response.status == 404, path
        assert "There is no placement PL-2027-9999" in (await response.json())["error"]


async def test_students_as_9_or_9_point_0_is_the_same_whole_number_and_9_5_is_refused(
    api: TestClient, bot: PlaceBot, chat: Chat
) -> None:
    ref = await _offer(chat)
    secret = await make_token(bot, NOTTINGHAM)
    url = f"/api/v1/placements/{ref}/requests"
    made = await api.post(url, json={"students": 1.0}, headers=bearer(secret))
    assert made.status == 201, await made.text()
    assert (await made.json())["students"] == 1
    for wrong in (1.5, True, "1"):
        refused = await api.post(url, json={"students": wrong}, headers=bearer(secret))
        assert refused.status == 400
        assert (await refused.json())["field"] == "students"


@pytest.mark.parametrize(("spelling", "code"), [("PT", "PT"), ("physio", "PT"), ("SALT", None)])
async def test_the_profession_filter_takes_exactly_the_documented_spellings(
    api: TestClient, bot: PlaceBot, chat: Chat, settings: Settings, spelling: str, code: str | None
) -> None:
    await _offer(chat)
    secret = await make_token(bot, NOTTINGHAM)
    [profession] = [
        p
        for p in document(settings)["paths"]["/api/v1/placements"]["get"]["parameters"]
        if p["name"] == "profession"
    ]
    assert profession["schema"]["enum"] == list(SPELLINGS)
    assert (spelling in profession["schema"]["enum"]) == (code is not None)
    response = await api.get(
        "/api/v1/placements", params={"profession": spelling}, headers=bearer(secret)
    )
    if code is None:
        assert response.status == 400
        assert (await response.json())["field"] == "profession"
    else:
        assert response.status == 200
        assert {item["profession"] for item in (await response.json())["items"]} == {code}
