"""Every line of the corpus gives its exact record or names its error: through the parser, and
through `placement offer` in chat, storing on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from bot.kernel.errors import FieldErrors, UserError
from bot.offers.parsing import OfferDraft, read_offer_line
from bot.offers.service import check
from storage.tables import PendingOffer, PlacementOffer
from tests.offers.corpus import load
from tests.support.chat import Chat, button, fact

CORPUS = load()
TODAY = date.fromisoformat(CORPUS["today"])
ENTRIES: list[dict[str, Any]] = CORPUS["lines"]
TEAM = "Stroke Rehab"  # the team of stroke-physio, who types every line


def expected_draft(record: dict[str, Any]) -> OfferDraft:
    fields = dict(record)
    fields["start"], fields["end"] = (date.fromisoformat(fields[k]) for k in ("start", "end"))
    return OfferDraft(**fields)


def test_the_corpus_is_big_enough_and_covers_each_kind() -> None:
    assert len(ENTRIES) >= 200
    assert len({entry["line"] for entry in ENTRIES}) == len(ENTRIES)
    kinds = {("record" in e, "error" in e, "refused" in e) for e in ENTRIES}
    assert kinds == {(True, False, False), (False, True, False), (False, False, True)}
    assert sum("guessed" in e for e in ENTRIES) >= 20


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["line"][:60] for e in ENTRIES])
def test_the_parser_gives_the_record_or_names_the_error(entry: dict[str, Any]) -> None:
    if "error" in entry:
        with pytest.raises(UserError) as raised:
            read_offer_line(entry["line"], TODAY)
        assert raised.value.message == entry["error"]
        return
    reading = read_offer_line(entry["line"], TODAY)
    if "refused" in entry:
        with pytest.raises(FieldErrors) as refused:
            check(replace(reading.draft, place=reading.draft.place or TEAM), TODAY)
        assert refused.value.errors == entry["refused"]
        return
    assert reading.draft == expected_draft(entry["record"])
    assert list(reading.guessed) == entry.get("guessed", [])


async def latest_offer(chat: Chat) -> PlacementOffer:
    async with chat.bot.sessions() as session:
        query = select(PlacementOffer).order_by(PlacementOffer.id.desc()).limit(1)
        return (await session.execute(query)).scalar_one()


def stored_as_record(offer: PlacementOffer) -> dict[str, Any]:
    return {
        "profession": offer.profession,
        "start": offer.start_date.isoformat(),
        "end": offer.end_date.isoformat(),
        "capacity": offer.capacity,
        "place": offer.place_text,
        "supervision_model": offer.supervision_model,
        "student_level": offer.student_level,
        "setting": offer.setting,
        "educator": offer.educator or "",
        "notes": offer.notes or "",
    }


def record_as_stored(record: dict[str, Any]) -> dict[str, Any]:
    draft = asdict(expected_draft(record))
    return {
        "profession": draft["profession"],
        "start": record["start"],
        "end": record["end"],
        "capacity": draft["capacity"] or 1,
        "place": draft["place"] or TEAM,
        "supervision_model": draft["supervision_model"],
        "student_level": draft["student_level"],
        "setting": draft["setting"],
        "educator": draft["educator"],
        "notes": draft["notes"],
    }


async def test_the_chat_command_stores_each_record_and_refuses_each_error(chat: Chat) -> None:
    await chat.say("stroke-physio", "placement mine")  # the poster is known before the first line
    stored = 0
    for entry in ENTRIES:
        if "block_ref" in entry.get("record", {}):
            continue  # the corpus's blocks are not in this register; the parser test reads them
        line = entry["line"]
        reply = await chat.say("stroke-physio", f"placement offer {line}")
        if "error" in entry:
            assert reply.tone == "error", line
            assert reply.text.startswith(entry["error"]), (line, reply.text)
            continue
        if "refused" in entry:
            assert reply.tone == "error", line
            said = reply.text.split("\nFor example: ")[0]
            assert said == " ".join(entry["refused"].values()), (line, reply.text)
            continue
        record = entry["record"]
        must_ask = bool(entry.get("guessed")) or not record["place"]
        asked = any(b.action == "offer.post" for b in reply.buttons)
        assert asked or not must_ask, (line, reply.text)
        if asked:
            reply = await chat.press("stroke-physio", button(reply, "Post"))
        assert reply.tone == "success", (line, reply.text)
        offer = await latest_offer(chat)
        assert fact(reply, "Reference") == offer.ref
        assert stored_as_record(offer) == record_as_stored(record), line
        stored += 1
        withdrawn = await chat.say("stroke-physio", f"placement withdraw {offer.ref}")
        assert withdrawn.tone == "success", withdrawn.text
    assert stored == await chat.count(PlacementOffer) > 100
    assert await chat.count(PendingOffer) >= 20
