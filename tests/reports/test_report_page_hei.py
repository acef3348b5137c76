"""The HEI lead's report page over HTTP: the register filtered by a plain GET form, the blocks
with each team's answer, and "Request places" posted from the page (signed token, own origin)
making the same request as the API; a forged post or an altered link changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.server import build_app
from bot.kernel.clock import FixedClock
from bot.reports import links
from config.settings import Settings
from storage.engine import make_sessionmaker
from storage.tables import PlacementRequest
from tests.support.builder import Builder


@pytest.fixture
async def web(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(build_app(settings, engine, clock))) as client:
        yield client


async def a_lead_with_offers(engine: AsyncEngine) -> dict[str, str]:
    build = Builder(make_sessionmaker(engine))
    uni = await build.hei("University A", ("PT", "OT"))
    trust = await build.provider("City Hospitals Trust")
    stroke = await build.team(trust, "Stroke Rehab", ("PT", "OT"))
    await build.team(trust, "Ward 12", ("PT",))
    block = await build.block(uni, "PT", date(2027, 1, 11), 6, date(2026, 12, 1))
    pt = await build.offer("PT", date(2027, 1, 11), date(2027, 2, 19), 3, team=stroke)
    ot = await build.offer("OT", date(2027, 3, 1), date(2027, 4, 9), 2, team=stroke)
    gone = await build.offer("PT", date(2027, 5, 3), date(2027, 6, 4), 1, "withdrawn", team=stroke)
    slt = await build.offer("SLT", date(2027, 1, 11), date(2027, 2, 19), 1, team=stroke)
    lead = await build.person("Lead", "hei_lead", organisation=uni)
    return {
        "pt": pt.ref,
        "ot": ot.ref,
        "gone": gone.ref,
        "slt": slt.ref,
        "block": block.ref,
        "lead": str(lead.id),
    }


def token_of(settings: Settings, clock: FixedClock, person_id: str) -> str:
    url = links.report_link(settings, clock, int(person_id))
    return parse_qs(urlsplit(url).query)["t"][0]


async def stored(engine: AsyncEngine) -> list[tuple[int, str, str | None]]:
    async with make_sessionmaker(engine)() as session:
        rows = await session.execute(
            select(PlacementRequest.students, PlacementRequest.status, PlacementRequest.note)
        )
        return [tuple(row) for row in rows.all()]


async def test_the_page_filters_and_shows_blocks_and_answers(
    web: TestClient, engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    refs = await a_lead_with_offers(engine)
    token = token_of(settings, clock, refs["lead"])
    page = await web.get("/report", params={"t": token})
    text = await page.text()
    assert page.status == 200
    assert all(refs[k] in text for k in ("pt", "ot", "gone")) and refs["slt"] not in text
    assert "<td>Stroke Rehab</td><td>City Hospitals Trust</td><td>offering</td>" in text
    assert "<td>Ward 12</td><td>City Hospitals Trust</td><td>silent</td>" in text
    assert f"{refs['block']}: who answered" in text
    narrowed = await (await web.get("/report", params={"t": token, "profession": "OT"})).text()
    assert refs["ot"] in narrowed and refs["pt"] not in narrowed
    live = await (await web.get("/report", params={"t": token, "status": "withdrawn"})).text()
    assert refs["gone"] in live and refs["pt"] not in live
    dated = await (await web.get("/report", params={"t": token, "from": "2027-05-01"})).text()
    assert refs["gone"] in dated and refs["ot"] not in dated
    odd = await web.get("/report", params={"t": token, "status": "lost", "from": "soon"})
    said = await odd.text()
    assert odd.status == 200 and "is not a status" in said and "like 2027-02-01" in said


async def test_request_places_from_the_page(
    web: TestClient, engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    refs = await a_lead_with_offers(engine)
    token = token_of(settings, clock, refs["lead"])
    origin = f"http://{web.host}:{web.port}"
    form = {"t": token, "ref": refs["pt"], "students": "2", "note": "year 2"}
    posted = await web.post(
        "/report/requests", data=form, headers={"Origin": origin}, allow_redirects=False
    )
    assert posted.status == 303
    after = await web.get(posted.headers["Location"])
    text = await after.text()
    assert f"Requested 2 places on {refs['pt']} for University A" in text
    assert "with the provider" in text  # the page's own list of the HEI's requests
    assert await stored(engine) == [(2, "pending", "year 2")]

    again = await web.post("/report/requests", data=form, headers={"Origin": origin})
    assert "already has request" in await again.text()
    wrong = form | {"ref": refs["ot"], "students": "99"}
    bad = await web.post("/report/requests", data=wrong, headers={"Origin": origin})
    assert "whole number from 1 to 30" in await bad.text()
    assert await stored(engine) == [(2, "pending", "year 2")]


async def test_a_forged_or_altered_post_changes_nothing(
    web: TestClient, engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    refs = await a_lead_with_offers(engine)
    token = token_of(settings, clock, refs["lead"])
    form = {"t": token, "ref": refs["pt"], "students": "1"}
    elsewhere = await web.post(
        "/report/requests", data=form, headers={"Origin": "https://evil.example"}
    )
    assert elsewhere.status == 403
    unsent = await web.post("/report/requests", data=form)
    assert unsent.status == 403
    origin = f"http://{web.host}:{web.port}"
    altered = form | {"t": token[:-2] + ("AA" if not token.endswith("AA") else "BB")}
    forged = await web.post("/report/requests", data=altered, headers={"Origin": origin})
    assert forged.status == 403
    assert (await web.get("/report", params={"t": altered["t"]})).status == 403
    assert await stored(engine) == []
