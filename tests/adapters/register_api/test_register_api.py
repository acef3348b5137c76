"""HEIs pull the register: tokens, filters, cursors, incremental sync, ETags and CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient

from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from bot.kernel.context import Context
from bot.register import tokens
from bot.register.records import PLACEMENT_FIELDS
from config.settings import Settings
from tests.conftest import bearer, make_token
from tests.support.chat import Chat, fact

NOTTINGHAM = "University of Nottingham"


async def offer(chat: Chat, line: str, who: str = "stroke-physio") -> str:
    reply = await chat.say(who, f"placement offer {line}")
    assert reply.tone == "success", reply.text
    return fact(reply, "Reference")


async def three_offers(chat: Chat) -> list[str]:
    return [
        await offer(chat, "PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab"),
        await offer(chat, "OT 3 May - 11 Jun 2027 1 student at Highbury Hospital", "community-ot"),
        await offer(
            chat, "PT 5 Apr - 14 May 2027 1 student at Ward 12 Orthopaedics", "ward12-physio"
        ),
    ]


async def pull(api: TestClient, secret: str, **params: str) -> dict:
    response = await api.get("/api/v1/placements", params=params, headers=bearer(secret))
    assert response.status == 200, await response.text()
    return await response.json()


async def refs(api: TestClient, secret: str, **params: str) -> list[str]:
    return [item["ref"] for item in (await pull(api, secret, **params))["items"]]


async def test_no_token_a_revoked_token_and_a_wrong_token_get_401_and_no_data(
    api: TestClient, bot: PlaceBot, chat: Chat
) -> None:
    await three_offers(chat)
    secret = await make_token(bot, NOTTINGHAM)
    for headers in ({}, {"Authorization": "Basic abc"}, bearer("pbt_not-a-token")):
        response = await api.get("/api/v1/placements", headers=headers)
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert set(await response.json()) == {"error"}
    assert len((await pull(api, secret))["items"]) == 3

    async with bot.sessions.begin() as session:
        ctx = Context(session, None, bot.clock, bot.settings, "cli")
        [(token, hei)] = await tokens.list_tokens(ctx)
        await tokens.revoke_token(ctx, token.id)
    assert hei == NOTTINGHAM
    revoked = await api.get("/api/v1/placements", headers=bearer(secret))
    assert revoked.status == 401
    assert "PL-" not in await revoked.text()


async def test_only_a_hash_is_stored_and_the_token_never_reaches_the_logs(
    api: TestClient, bot: PlaceBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # what `placebot serve` logs, access log included
    secret = await make_token(bot, NOTTINGHAM)
    await api.get("/api/v1/placements", headers=bearer(secret))
    await api.get("/api/v1/placements/PL-2027-9999", headers=bearer(secret))
    await api.get("/api/v1/placements", headers=bearer(secret + "x"))
    async with bot.sessions.begin() as session:
        ctx = Context(session, None, bot.clock, bot.settings, "cli")
        [(token, _)] = await tokens.list_tokens(ctx)
    assert token.token_hash == tokens.hash_token(secret) != secret
    assert secret not in caplog.text and token.token_hash not in caplog.text


async def test_filters(api: TestClient, bot: PlaceBot, chat: Chat) -> None:
    stroke, highbury, ward12 = await three_offers(chat)
    await chat.say("stroke-physio", f"placement withdraw {stroke} staff sickness")
    secret = await make_token(bot, NOTTINGHAM)
    assert await refs(api, secret, profession="physio") == [ward12, stroke]
    assert await refs(api, secret, status="offered") == [highbury, ward12]
    assert await refs(api, secret, status="withdrawn,expired") == [stroke]
    assert await refs(api, secret, **{"from": "2027-04-01"}) == [highbury, ward12]
    assert await refs(api, secret, to="2027-04-30") == [ward12, stroke]
    assert await refs(api, secret, site="City Hospital") == [stroke]
    assert await refs(api, secret, site="rx1ra") == [ward12]
    for bad in ({"profession": "astrology"}, {"from": "1st Feb"}, {"status": "lost"}):
        response = await api.get("/api/v1/placements", params=bad, headers=bearer(secret))
        assert response.status == 400
        assert "error" in await response.json()


async def test_block_filter_and_one_record(api: TestClient, bot: PlaceBot, chat: Chat) -> None:
    blocks = await chat.say("stroke-physio", "placement blocks PT")
    block = blocks.items[0].title.split(" · ")[0]
    ref = await offer(chat, f"PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab block {block}")
    await offer(chat, "PT 5 Apr - 14 May 2027 1 student at Ward 12 Orthopaedics", "ward12-physio")
    secret = await make_token(bot, NOTTINGHAM)
    assert await refs(api, secret, block=block) == [ref]
    one = await api.get(f"/api/v1/placements/{ref.lower()}", headers=bearer(secret))
    record = await one.json()
    assert list(record) == list(PLACEMENT_FIELDS)
    assert record["block"] == block and record["site"] == "City Hospital"
    again = await api.get(
        f"/api/v1/placements/{ref}",
        headers={**bearer(secret), "If-None-Match": one.headers["ETag"]},
    )
    assert again.status == 304
    missing = await api.get("/api/v1/placements/PL-2027-9999", headers=bearer(secret))
    assert missing.status == 404


async def test_cursor_pages_see_each_record_once_while_records_change(
    api: TestClient, bot: PlaceBot, chat: Chat
) -> None:
    made = [
        await offer(chat, f"PT 1 Feb - 12 Mar 2027 {n} students at Stroke Rehab")
        for n in range(1, 8)
    ]
    secret = await make_token(bot, NOTTINGHAM)
    first = await pull(api, secret, limit="3")
    seen = [item["ref"] for item in first["items"]]
    # Someone edits a record already seen and one not yet seen, between pages.
    await chat.say("stroke-physio", f"placement edit {made[0]} capacity 9")
    await chat.say("stroke-physio", f"placement edit {made[5]} capacity 9")
    cursor = first["next_cursor"]
    latest: dict[str, int] = {}
    while cursor:
        page = await pull(api, secret, limit="3", cursor=cursor)
        seen += [item["ref"] for item in page["items"]]
        latest |= {item["ref"]: item["capacity"] for item in page["items"]}
        cursor = page["next_cursor"]
    assert set(seen) == set(made)
    assert latest[made[0]] == 9 and latest[made[5]] == 9  # changed ones come again, as they are
    bad = await api.get("/api/v1/placements", params={"cursor": "nonsense"}, headers=bearer(secret))
    assert bad.status == 400


async def test_updated_since_brings_back_withdrawn_records_and_etag_answers_304(
    api: TestClient, bot: PlaceBot, chat: Chat, clock: FixedClock
) -> None:
    stroke, highbury, _ward12 = await three_offers(chat)
    secret = await make_token(bot, NOTTINGHAM)
    full = await api.get("/api/v1/placements", headers=bearer(secret))
    body, etag = await full.json(), full.headers["ETag"]
    since = body["next_updated_since"]
    assert (await pull(api, secret, updated_since=since))["items"] == []
    unchanged = await api.get(
        "/api/v1/placements", headers={**bearer(secret), "If-None-Match": etag}
    )
    assert unchanged.status == 304

    clock.at += timedelta(hours=1)
    await chat.say("stroke-physio", f"placement withdraw {stroke} staff sickness")
    await chat.say("community-ot", f"placement edit {highbury} capacity 2")
    changed = await pull(api, secret, updated_since=since)
    assert {item["ref"]: item["status"] for item in changed["items"]} == {
        stroke: "withdrawn",
        highbury: "offered",
    }
    after = await api.get("/api/v1/placements", headers={**bearer(secret), "If-None-Match": etag})
    assert after.status == 200 and after.headers["ETag"] != etag
    naive = await api.get(
        "/api/v1/placements", params={"updated_since": "2026-11-23T10:00"}, headers=bearer(secret)
    )
    assert naive.status == 400


async def test_a_client_syncing_while_another_writes_ends_with_the_servers_state(
    api: TestClient, bot: PlaceBot, chat: Chat
) -> None:
    made = [await offer(chat, f"PT 1 Feb - 12 Mar 2027 1 student at Ward {n}") for n in range(4)]
    secret = await make_token(bot, NOTTINGHAM)
    mirror: dict[str, dict] = {}
    since: str | None = None

    async def sync() -> None:
        nonlocal since
        cursor = None
        while True:
            params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
            params |= {"updated_since": since} if since else {}
            page = await pull(api, secret, **params)
            mirror.update({item["ref"]: item for item in page["items"]})
            if not page["next_cursor"]:
                since = page["next_updated_since"] or since
                return
            cursor = page["next_cursor"]

    async def write() -> None:
        for n in range(12):
            ref = made[n % len(made)]
            await chat.say("stroke-physio", f"placement edit {ref} capacity {n % 5 + 1}")
            if n % 4 == 0:
                made.append(await offer(chat, f"OT 1 Feb - 12 Mar 2027 1 student at Room {n}"))
            await asyncio.sleep(0)

    async def keep_syncing(writer: asyncio.Task[None]) -> None:
        while not writer.done():
            await sync()
            await asyncio.sleep(0)

    writer = asyncio.create_task(write())
    await asyncio.gather(writer, keep_syncing(writer))
    await sync()
    server = {item["ref"]: item for item in (await pull(api, secret, limit="1000"))["items"]}
    assert mirror == server


async def test_csv_by_accept_header_or_format_with_formulas_neutralised(
    api: TestClient, bot: PlaceBot, chat: Chat
) -> None:
    stroke, *_ = await three_offers(chat)
    await chat.say("stroke-physio", f'placement edit {stroke} notes =HYPERLINK("http://x")')
    secret = await make_token(bot, NOTTINGHAM)
    by_header = await api.get(
        "/api/v1/placements", headers={**bearer(secret), "Accept": "text/csv"}
    )
    by_format = await api.get(
        "/api/v1/placements", params={"format": "csv", "limit": "1"}, headers=bearer(secret)
    )
    assert by_header.content_type == "text/csv"
    text = await by_header.text()
    assert text == await by_format.text()  # CSV is the whole pull, whatever the page size
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == PLACEMENT_FIELDS
    assert len(rows) == 3 and text.count("\r\n") == 4
    records = {r["ref"]: r for r in (await pull(api, secret))["items"]}
    for row in rows:  # the same record as the JSON, cell for cell
        record = records[row["ref"]]
        assert {k: v for k, v in row.items() if k != "notes"} == {
            k: "" if record[k] is None else str(record[k]) for k in PLACEMENT_FIELDS if k != "notes"
        }
    notes = next(row["notes"] for row in rows if row["ref"] == stroke)
    assert notes.startswith("'=")
    for_excel = await api.get(
        "/api/v1/placements", params={"format": "csv", "bom": "1"}, headers=bearer(secret)
    )
    assert await for_excel.read() == b"\xef\xbb\xbf" + text.encode()  # a BOM, then the same
    odd = await api.get(
        "/api/v1/placements", params={"format": "csv", "bom": "yes"}, headers=bearer(secret)
    )
    assert odd.status == 400 and "bom is 1" in await odd.text()
    assert (await pull(api, secret, profession="OT"))["items"][0]["notes"] is None
    filtered = await api.get(
        "/api/v1/placements", params={"format": "csv", "profession": "OT"}, headers=bearer(secret)
    )
    assert len(list(csv.DictReader(io.StringIO(await filtered.text())))) == 1


class TestLimits:
    """Each token has its own rate; pages and bodies have a size limit."""

    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(
            database_url=database_url,
            placebot_api_rate_per_minute=3,
            placebot_api_page_size_max=50,
            _env_file=None,
        )  # type: ignore[call-arg]

    async def test_a_fourth_call_in_a_minute_gets_429_with_retry_after(
        self, api: TestClient, bot: PlaceBot
    ) -> None:
        busy, other = (
            await make_token(bot, NOTTINGHAM),
            await make_token(bot, "University of Lincoln"),
        )
        answers = [
            (await api.get("/api/v1/placements", headers=bearer(busy))).status for _ in range(3)
        ]
        assert answers == [200, 200, 200]
        limited = await api.get("/api/v1/placements", headers=bearer(busy))
        assert limited.status == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= 60  # the minute's three are used
        assert (await api.get("/api/v1/placements", headers=bearer(other))).status == 200

    async def test_page_size_is_capped(self, api: TestClient, bot: PlaceBot) -> None:
        secret = await make_token(bot, NOTTINGHAM)
        for limit in ("0", "51", "ten"):
            response = await api.get(
                "/api/v1/placements", params={"limit": limit}, headers=bearer(secret)
            )
            assert response.status == 400
