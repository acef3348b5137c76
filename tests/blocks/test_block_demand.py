"""One count of places against blocks: an offer counts once, against the block it answers or
else its best-fitting one, and `placement blocks`, the digest, the nudges, the API and the
settlement's overlap rule all read the same figures off the same register."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.server import build_app
from bot.blocks.demand import Window, best_fit, block_demands, unmet_demand
from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from bot.nudges.inputs import History
from bot.nudges.rules import Rules
from bot.reports.digests import queries as digest_queries
from config.settings import Settings
from storage.engine import make_sessionmaker
from storage.tables import Organisation, PlacementBlock
from tests.conftest import NOW, bearer, make_token
from tests.support.builder import Builder
from tests.support.chat import Chat

CLOSE = date(2026, 12, 1)  # within the nudge window of NOW (23 Nov 2026)


@dataclass
class Register:
    hei: Organisation
    blocks: dict[str, PlacementBlock]


async def three_overlapping_blocks(build: Builder) -> Register:
    """Three blocks of one HEI overlapping in February, and offers that overlap them all.

    Each loose offer fits one block best: 5 places for 11 Jan - 19 Feb (the first block, the
    whole of it), 3 for 8 Feb - 19 Mar (the third), 2 for 1 - 28 Feb (28 days with the second,
    21 with the third, 19 with the first); 2 more name the first block. A withdrawn offer, an
    OT one and one awaiting its poster's confirmation count nowhere."""
    hei = await build.hei("University A", ("PT",))
    trust = await build.provider("City Hospitals Trust")
    ward = await build.team(trust, "Stroke Rehab", ("PT",), site="City Hospital")
    first = await build.block(hei, "PT", date(2027, 1, 11), 14, CLOSE, end=date(2027, 2, 19))
    second = await build.block(hei, "PT", date(2027, 1, 25), 6, CLOSE, end=date(2027, 3, 5))
    third = await build.block(hei, "PT", date(2027, 2, 8), 4, CLOSE, end=date(2027, 3, 19))
    await build.offer("PT", date(2027, 1, 11), date(2027, 2, 19), 2, team=ward, block=first)
    await build.offer("PT", date(2027, 1, 11), date(2027, 2, 19), 5, team=ward)
    await build.offer("PT", date(2027, 2, 8), date(2027, 3, 19), 3, team=ward)
    await build.offer("PT", date(2027, 2, 1), date(2027, 2, 28), 2, team=ward)
    await build.offer("PT", date(2027, 1, 11), date(2027, 2, 19), 4, "withdrawn", block=first)
    await build.offer("OT", date(2027, 1, 11), date(2027, 2, 19), 6, team=ward)
    await build.offer("PT", date(2027, 1, 11), date(2027, 2, 19), 9, "awaiting", team=ward)
    return Register(hei, {"first": first, "second": second, "third": third})


EXPECTED = {"first": 7, "second": 2, "third": 3}  # 12 places in all, each counted once


async def test_every_count_of_a_block_agrees(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    build = Builder(make_sessionmaker(engine))
    register = await three_overlapping_blocks(build)
    refs = {name: block.ref for name, block in register.blocks.items()}
    lead = await build.person(
        "Lead", "hei_lead", organisation=register.hei, digest_frequency="weekly"
    )
    trust = await build.provider("Other Trust")
    await build.person("physio", "clinician", organisation=trust, professions=("PT",))
    bot = PlaceBot(make_sessionmaker(engine), settings, clock)
    wanted = {refs[name]: places for name, places in EXPECTED.items()}

    async with bot.sessions() as session:
        demand = await block_demands(session, PlacementBlock.hei_id == register.hei.id)
        counted = {b.ref: b.places for b in demand.blocks}
        assert demand.places == {"PT": 12}
        [digest] = await digest_queries.compose(session, "weekly", NOW, clock.today())
        rules = Rules(session, clock, settings, {}, History(), {})
        nudged = {b.ref: b.short_by for b in await rules._open_blocks()}
        settlement = await unmet_demand(
            session, register.hei.id, "PT", date(2027, 1, 11), date(2027, 2, 19)
        )
    assert counted == wanted
    assert digest.lead.person_id == lead.id
    assert {b.ref: b.places for b in digest.blocks} == wanted
    students = {b.ref: b.students for b in demand.blocks}
    assert nudged == {ref: students[ref] - places for ref, places in wanted.items()}
    assert settlement == sum(students.values())  # all three overlap those dates; none held

    listed = await Chat(bot).say("physio", "placement blocks PT")
    offered = {
        item.title.split(" · ")[0]: next(f.value for f in item.facts if f.label == "Offered so far")
        for item in listed.items
    }
    assert offered == {
        ref: f"{places} (short by {students[ref] - places})" for ref, places in wanted.items()
    }

    async with TestClient(TestServer(build_app(settings, engine, clock))) as api:
        secret = await make_token(bot, register.hei.name)
        got = await (await api.get("/api/v1/blocks", headers=bearer(secret))).json()
    assert {b["ref"]: b["places_offered"] for b in got["items"]} == wanted
    assert {b["ref"]: b["short_by"] for b in got["items"]} == nudged


async def test_the_settlement_subtracts_what_the_hei_holds(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    build = Builder(make_sessionmaker(engine))
    register = await three_overlapping_blocks(build)
    offer = await build.offer("PT", date(2027, 2, 1), date(2027, 2, 12), 3)
    await build.request(offer, register.hei, students=2, status="confirmed")
    async with make_sessionmaker(engine)() as session:
        unmet = await unmet_demand(
            session, register.hei.id, "PT", date(2027, 3, 8), date(2027, 3, 19)
        )
        assert unmet == 4  # only the third block reaches March; the February places do not
        unmet = await unmet_demand(
            session, register.hei.id, "PT", date(2027, 2, 1), date(2027, 2, 12)
        )
        assert unmet == 14 + 6 + 4 - 2


@pytest.mark.parametrize(
    ("start", "end", "chosen"),
    [
        (date(2027, 1, 4), date(2027, 1, 29), 1),  # only the first overlaps
        (date(2027, 2, 1), date(2027, 2, 26), 2),  # 26 days with 2, 12 with 1: most days wins
        (date(2027, 1, 25), date(2027, 1, 29), 2),  # 5 days each; 2 starts that day, 1 weeks off
        (date(2027, 4, 1), date(2027, 4, 9), None),  # none overlaps
    ],
)
def test_the_best_fitting_block(start: date, end: date, chosen: int | None) -> None:
    windows = [
        Window(1, date(2027, 1, 4), date(2027, 2, 12)),
        Window(2, date(2027, 1, 25), date(2027, 3, 5)),
    ]
    assert best_fit(start, end, windows) == chosen


def test_a_tie_in_days_and_distance_goes_to_the_older_block() -> None:
    same = [Window(block_id, date(2027, 1, 4), date(2027, 2, 12)) for block_id in (9, 3)]
    assert best_fit(date(2027, 1, 4), date(2027, 1, 8), same) == 3
