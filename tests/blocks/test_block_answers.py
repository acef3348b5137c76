"""Who was asked for a block and what each team answered: offering (with places), maybe (with
the date to ask again), no capacity, or silent; in `placement answers`, `placement blocks` for
leads, the HEI digest and the register API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.server import build_app
from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from bot.reports.digests import queries as digest_queries
from bot.reports.digests.message import digest_reply
from config.settings import Settings
from storage.engine import make_sessionmaker
from storage.tables import PlacementBlock
from tests.conftest import NOW, bearer, make_token
from tests.support.builder import Builder
from tests.support.chat import Chat

CLOSE = date(2026, 12, 1)


@dataclass
class Asked:
    chat: Chat
    block: PlacementBlock
    settings: Settings
    engine: AsyncEngine
    clock: FixedClock


async def five_teams_asked(engine: AsyncEngine, settings: Settings, clock: FixedClock) -> Asked:
    build = Builder(make_sessionmaker(engine))
    uni = await build.hei("University A", ("PT",))
    other_uni = await build.hei("University B", ("PT",))
    trust = await build.provider("City Hospitals Trust")
    county = await build.provider("County Community Trust")
    stroke = await build.team(trust, "Stroke Rehab", ("PT", "OT"))
    ward = await build.team(trust, "Ward 12", ("PT",))
    acute = await build.team(trust, "Acute Therapy", ("OT", "PT"))
    await build.team(trust, "Community PT", ("PT",))
    await build.team(trust, "Mental Health OT", ("OT",))  # not asked: not a PT team
    await build.team(county, "Mansfield PT", ("PT",))
    block = await build.block(uni, "PT", date(2027, 1, 11), 10, CLOSE, end=date(2027, 2, 19))
    physio = await build.person("physio", "clinician", organisation=trust, team=stroke)
    await build.offer("PT", date(2027, 1, 11), date(2027, 2, 19), 3, team=stroke, poster=physio)
    await build.offer("PT", date(2027, 1, 18), date(2027, 2, 12), 1, team=stroke, block=block)
    await build.answer(block, "maybe", physio, team=ward, ask_again_on=date(2026, 11, 30))
    await build.answer(block, "no_capacity", physio, team=acute)
    await build.person("lead", "hei_lead", organisation=uni, digest_frequency="weekly")
    await build.person("other lead", "hei_lead", organisation=other_uni)
    await build.person("coordinator", "coordinator", organisation=trust)
    await build.person("faculty", "faculty_lead")
    await build.person("county physio", "clinician", organisation=county, professions=("PT",))
    bot = PlaceBot(make_sessionmaker(engine), settings, clock)
    return Asked(Chat(bot), block, settings, engine, clock)


def answers_of(reply_items: tuple) -> dict[str, tuple[str, dict[str, str]]]:
    return {
        item.title: (item.text, {fact.label: fact.value for fact in item.facts})
        for item in reply_items
    }


async def test_the_hei_lead_sees_every_team_asked_and_its_answer(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    asked = await five_teams_asked(engine, settings, clock)
    ref = asked.block.ref
    reply = await asked.chat.say("lead", f"placement answers {ref}")
    assert reply.text == (
        f"Answers to {ref} PT year 2: 5 teams of PT: 1 offering, 1 maybe, 1 no capacity, 2 silent."
    )
    assert answers_of(reply.items) == {
        "Acute Therapy · City Hospitals Trust": ("no capacity", {}),
        "Community PT · City Hospitals Trust": ("silent", {}),
        "Stroke Rehab · City Hospitals Trust": ("offering", {"Places": "4"}),
        "Ward 12 · City Hospitals Trust": ("maybe", {"Ask again": "Mon 30 Nov 2026"}),
        "Mansfield PT · County Community Trust": ("silent", {}),
    }
    faculty = await asked.chat.say("faculty", f"placement answers {ref}")
    assert answers_of(faculty.items) == answers_of(reply.items)


async def test_coordinators_see_their_own_teams_and_other_heis_none(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    asked = await five_teams_asked(engine, settings, clock)
    ref = asked.block.ref
    mine = await asked.chat.say("coordinator", f"placement answers {ref}")
    assert mine.text.endswith("4 your teams of PT: 1 offering, 1 maybe, 1 no capacity, 1 silent.")
    assert all(item.title.endswith("City Hospitals Trust") for item in mine.items)
    county = await asked.chat.say("county physio", f"placement answers {ref}")
    assert [item.title for item in county.items] == ["Mansfield PT · County Community Trust"]
    refused = await asked.chat.say("other lead", f"placement answers {ref}")
    assert refused.tone == "error" and "its HEI's placement lead" in refused.text
    unknown = await asked.chat.say("lead", "placement answers BL-2027-0999")
    assert unknown.tone == "error" and "There is no placement block" in unknown.text


async def test_leads_see_the_counts_where_teams_see_the_buttons(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    asked = await five_teams_asked(engine, settings, clock)
    lead = await asked.chat.say("lead", "placement blocks")
    [item] = lead.items
    assert item.buttons == ()
    facts = {fact.label: fact.value for fact in item.facts}
    assert facts["Teams' answers"] == "1 offering, 1 maybe, 1 no capacity, 2 silent"
    assert facts["Offered so far"] == "4 (short by 6)"
    physio = await asked.chat.say("physio", "placement blocks")
    assert [b.label for b in physio.items[0].buttons] == ["Offer places", "Maybe", "No capacity"]


async def test_the_digest_and_the_api_carry_the_counts(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    asked = await five_teams_asked(engine, settings, clock)
    async with make_sessionmaker(engine)() as session:
        digests = await digest_queries.compose(session, "weekly", NOW, clock.today())
    [digest] = [d for d in digests if d.lead.hei_name == "University A"]
    reply = digest_reply(digest, clock, settings)
    [block] = [item for item in reply.items if item.title.startswith(asked.block.ref)]
    facts = {fact.label: fact.value for fact in block.facts}
    assert facts["Teams' answers"] == "1 offering, 1 maybe, 1 no capacity, 2 silent"
    assert facts["Offered so far"] == "4 of 10"
    async with TestClient(TestServer(build_app(settings, engine, clock))) as api:
        secret = await make_token(asked.chat.bot, "University A")
        got = await (await api.get("/api/v1/blocks", headers=bearer(secret))).json()
    [listed] = got["items"]
    assert listed["answers"] == {"offering": 1, "maybe": 1, "no_capacity": 1, "silent": 2}
    assert (listed["places_offered"], listed["short_by"]) == (4, 6)
