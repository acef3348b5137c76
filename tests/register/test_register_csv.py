"""The CSV the database writes is the JSON record, cell for cell, as Python's csv module would
write it: awkward text, NULLs, dates and instants, every filter, and chunk boundaries, on both
databases. The CLI export is the same stream."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select, update

from adapters import cli
from bot.chat.placebot import PlaceBot
from bot.register.csv import stream as register_csv
from bot.register.csv.line_ends import CrlfLineEnds
from bot.register.records import csv_lines
from storage.tables import Organisation, PlacementBlock, PlacementOffer, Site, Team
from tests.conftest import bearer, make_token
from tests.support.chat import Chat, fact

NOTTINGHAM = "University of Nottingham"
AWKWARD = (
    'Ward 12, "Nightingale"',
    '=HYPERLINK("http://evil")',
    "+44 115 924 9924",
    "-1+1",
    "@SUM(A1)",
    "\tTabbed in",
    "\rcarriage return first",
    "line one\nline two",
    "ends with CRLF\r\n",
    "Ysbyty Gwynedd – Bangor, Cymru ✓ naïve 東京",
    "",
    '"',
    'a""b,',
    "  spaced  ",
    "trailing comma,",
    "'already quoted",
)
LONDON = ZoneInfo("Europe/London")


async def offer(chat: Chat, line: str, who: str = "stroke-physio") -> str:
    reply = await chat.say(who, f"placement offer {line}")
    assert reply.tone == "success", reply.text
    return fact(reply, "Reference")


async def json_records(api: TestClient, secret: str, **params: str) -> list[dict[str, Any]]:
    """Every matching record through the JSON pages, in change order."""
    records: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page_params = {**params, "limit": "3"} | ({"cursor": cursor} if cursor else {})
        response = await api.get("/api/v1/placements", params=page_params, headers=bearer(secret))
        assert response.status == 200, await response.text()
        page = await response.json()
        records += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return records


async def csv_text(api: TestClient, secret: str, **params: str) -> str:
    response = await api.get(
        "/api/v1/placements", params={**params, "format": "csv"}, headers=bearer(secret)
    )
    assert response.status == 200, await response.text()
    assert response.content_type == "text/csv"
    return (await response.read()).decode("utf-8")


def as_python_writes_it(records: list[dict[str, Any]]) -> str:
    return "".join(csv_lines(records, header=True))


async def awkward_register(bot: PlaceBot, chat: Chat) -> list[str]:
    """Offers whose every text cell is awkward somewhere, some NULL, with odd instants."""
    refs = [
        await offer(chat, "PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab"),
        await offer(chat, "OT 3 May - 11 Jun 2027 1 student at Highbury Hospital", "community-ot"),
        await offer(chat, "PT 5 Apr - 14 May 2027 1 student at Ward 12 Orthopaedics"),
        await offer(chat, "PT 7 Jun - 2 Jul 2027 1 student at Stroke Rehab"),
    ]
    async with bot.sessions.begin() as session:
        offers = list(
            (await session.execute(select(PlacementOffer).where(PlacementOffer.ref.in_(refs))))
            .unique()
            .scalars()
        )
        block = await session.scalar(select(PlacementBlock).limit(1))
        assert block is not None
        block.ref = "=BLK,1"
        for n, item in enumerate(offers):
            pick = [AWKWARD[(n * 5 + k) % len(AWKWARD)] for k in range(4)]
            item.place_text, item.notes, item.educator = pick[0], pick[1] or None, pick[2]
            item.block_id = block.id if n % 2 == 0 else None
        # Instants: whole seconds, microseconds, and one given in British Summer Time.
        offers[0].release_at = datetime(2027, 3, 28, 2, 30, tzinfo=LONDON)
        offers[1].release_at = datetime(2027, 1, 5, 9, 0, 0, 1, tzinfo=UTC)
        offers[1].end_date = offers[1].start_date  # a one-day placement is one week
        offers[3].provider_id = offers[3].site_id = offers[3].team_id = None  # a place as typed
        shared = max(item.updated_at for item in offers) + timedelta(seconds=1)
        for item in offers[2:]:
            item.updated_at = shared  # the same stamp: the keyset falls back to the id
        await session.execute(update(Organisation).values(name=Organisation.name + AWKWARD[7]))
        await session.execute(update(Site).values(name=AWKWARD[2] + Site.name + AWKWARD[0]))
        await session.execute(update(Team).values(name=AWKWARD[5] + Team.name + AWKWARD[9]))
        await session.execute(update(Site).values(ods_code=None))
        await session.execute(update(Organisation).values(ods_code="@" + Organisation.ods_code))
    return refs


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two records a chunk on SQLite, so every pull crosses chunk boundaries."""
    monkeypatch.setattr(register_csv, "SQLITE_CHUNK", 2)


@pytest.mark.usefixtures("small_chunks")
async def test_csv_is_the_json_records_as_pythons_csv_module_writes_them(
    api: TestClient, bot: PlaceBot, chat: Chat
) -> None:
    secret = await make_token(bot, NOTTINGHAM)  # before the HEI's name becomes awkward
    await awkward_register(bot, chat)
    records = await json_records(api, secret)
    assert len(records) == 4
    text = await csv_text(api, secret)
    assert text == as_python_writes_it(records)
    release = {record["release_at"] for record in records}
    assert {"2027-03-28T01:30:00+00:00", "2027-01-05T09:00:00.000001+00:00"} <= release
    assert any(record["weeks"] == 1 for record in records)
    assert any(record["site_ods_code"] is None for record in records)
    assert any(record["provider"] is record["site"] is record["team"] is None for record in records)
    assert (
        "'=BLK,1" in text
        and "'@RX1," in text
        and "'\tTabbed inStroke Rehab" in text
        and "東京" in text
    )


@pytest.mark.usefixtures("small_chunks")
async def test_every_filter_selects_the_same_records_as_json(
    api: TestClient, bot: PlaceBot, chat: Chat
) -> None:
    secret = await make_token(bot, NOTTINGHAM)
    refs = await awkward_register(bot, chat)
    await chat.say("stroke-physio", f"placement withdraw {refs[0]}")
    every = await json_records(api, secret)
    site = every[0]["site"]
    filters: list[dict[str, str]] = [
        {"profession": "PT"},
        {"profession": "occupational therapy"},
        {"status": "withdrawn"},
        {"status": "offered,withdrawn"},
        {"from": "2027-05-01"},
        {"to": "2027-04-30"},
        {"from": "2027-02-01", "to": "2027-05-03", "profession": "PT"},
        {"site": site.upper()},
        {"block": "=blk,1"},
        {"updated_since": every[1]["updated_at"]},
        {"updated_since": datetime(2030, 1, 1, tzinfo=UTC).isoformat()},
    ]
    for params in filters:
        records = await json_records(api, secret, **params)
        assert await csv_text(api, secret, **params) == as_python_writes_it(records), params
    assert {len(await json_records(api, secret, **p)) for p in filters} >= {0, 1, 2, 3}


async def test_a_large_register_streams_whole_across_chunks_and_survives_a_hang_up(
    api: TestClient, bot: PlaceBot, chat: Chat
) -> None:
    """More records than one SQLite chunk, bulk written, several sharing each stamp."""
    await offer(chat, "PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab")
    async with bot.sessions.begin() as session:
        template = await session.scalar(select(PlacementOffer).limit(1))
        assert template is not None
        stamp = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
        count = register_csv.SQLITE_CHUNK * 2 + 7
        rows = [
            {
                "ref": f"PL-2099-{n:06d}",
                "profession": "PT",
                "provider_id": template.provider_id,
                "site_id": template.site_id,
                "team_id": template.team_id,
                "place_text": f'Bay {n}, "east"\nwing' if n % 3 else f"=Bay {n}",
                "start_date": date(2027, 2, 1),
                "end_date": date(2027, 3, 12),
                "capacity": 1,
                "release_at": stamp,
                "status": "offered",
                "version": 1,
                "created_by_id": template.created_by_id,
                "updated_by_id": template.created_by_id,
                "created_at": stamp,
                "updated_at": stamp + timedelta(microseconds=n // 3),
            }
            for n in range(1, count + 1)
        ]
        await session.execute(PlacementOffer.__table__.insert(), rows)
    secret = await make_token(bot, NOTTINGHAM)
    text = await csv_text(api, secret)
    records = await json_records_big(api, secret)
    assert len(records) == count + 1
    assert text == as_python_writes_it(records)

    # A client that hangs up part way through leaves the server (and its pool) whole.
    for _ in range(3):
        leaving = await api.get(
            "/api/v1/placements", params={"format": "csv"}, headers=bearer(secret)
        )
        await leaving.content.read(1 << 16)
        leaving.close()
    assert await csv_text(api, secret) == text
    assert len(await json_records_big(api, secret)) == count + 1


async def json_records_big(api: TestClient, secret: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    params = {"limit": "1000"}
    while True:
        response = await api.get("/api/v1/placements", params=params, headers=bearer(secret))
        page = await response.json()
        records += page["items"]
        if page["next_cursor"] is None:
            return records
        params = {"limit": "1000", "cursor": page["next_cursor"]}


def test_record_ends_become_crlf_and_line_feeds_in_quoted_cells_stay() -> None:
    copied = b'a,"x\ny",1\n"""q""\n",,\nplain,"",2\n'
    wanted = b'a,"x\ny",1\r\n"""q""\n",,\r\nplain,"",2\r\n'
    for size in (1, 2, 3, 5, len(copied)):
        ends = CrlfLineEnds()
        pieces = [copied[i : i + size] for i in range(0, len(copied), size)]
        assert b"".join(ends.feed(piece) for piece in pieces) == wanted, size


async def test_the_cli_export_is_the_api_csv(
    api: TestClient, bot: PlaceBot, chat: Chat, tmp_path: Path
) -> None:
    secret = await make_token(bot, NOTTINGHAM)  # before the HEI's name becomes awkward
    await awkward_register(bot, chat)
    out = tmp_path / "placements.csv"
    with out.open("w", encoding="utf-8", newline="") as file:
        assert await cli.export_placements(bot.settings, file) == 4
    assert out.read_bytes().decode() == await csv_text(api, secret)
    assert out.read_bytes().startswith(b"ref,profession,status,")
