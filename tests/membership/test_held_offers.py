"""Only a team's members speak for it: a stranger's offer naming a real team is held, out of the
register, the block counts and the team's credit, until its coordinator (else the faculty lead)
confirms the stranger; "Not ours" keeps it out for good. On the demo faculty, SQLite and
PostgreSQL, through the core as every adapter calls it and the register API as HEIs see it."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from bot.kernel.jobs import JobContext
from bot.runtime import housekeeping
from storage.tables import AuditEvent, Identity, MembershipClaim, PlacementOffer
from tests.conftest import bearer, make_token
from tests.support.chat import Chat, button, fact
from tests.support.inbox import Inbox

STRANGER = "visitor"
OFFER = "offer PT 1 Mar - 19 Mar 2027 2 students at Ward 12 Orthopaedics"
NOTTINGHAM = "University of Nottingham"


async def ref_of(chat: Chat, words: str, who: str = STRANGER) -> str:
    reply = await chat.say(who, words, name="Locum physiotherapist")
    return fact(reply, "Reference")


async def register(api: TestClient, bot: PlaceBot, **query: str) -> dict[str, dict]:
    secret = await make_token(bot, NOTTINGHAM)
    response = await api.get("/api/v1/placements", params=query, headers=bearer(secret))
    assert response.status == 200, await response.text()
    return {item["ref"]: item for item in (await response.json())["items"]}


async def offered_so_far(chat: Chat, who: str = "ward12-physio") -> str:
    reply = await chat.say(who, "placement blocks PT")
    [nottingham] = [item for item in reply.items if "year 2 block 2" in item.title]
    return next(f.value for f in nottingham.facts if f.label == "Offered so far")


async def status_of(bot: PlaceBot, ref: str) -> str:
    async with bot.sessions() as session:
        return (
            await session.execute(select(PlacementOffer.status).where(PlacementOffer.ref == ref))
        ).scalar_one()


async def pid(bot: PlaceBot, handle: str) -> int:
    """The person who speaks in the local chat as `handle`."""
    async with bot.sessions() as session:
        return (
            await session.execute(
                select(Identity.person_id).where(
                    Identity.platform == "local", Identity.external_id == handle
                )
            )
        ).scalar_one()


async def test_a_strangers_offer_is_held_out_of_the_register_until_the_coordinator_confirms(
    chat: Chat, bot: PlaceBot, api: TestClient, inbox: Inbox
) -> None:
    before = await offered_so_far(chat)
    reply = await chat.say(STRANGER, OFFER, name="Locum physiotherapist")
    ref = fact(reply, "Reference")
    assert "held until the team's coordinator confirms you work there" in reply.text
    assert fact(reply, "Status") == "awaiting confirmation"
    assert await status_of(bot, ref) == "awaiting"
    assert ref not in await register(api, bot)
    secret = await make_token(bot, NOTTINGHAM)
    one = await api.get(f"/api/v1/placements/{ref}", headers=bearer(secret))
    assert one.status == 404
    asked = await api.post(
        f"/api/v1/placements/{ref}/requests", json={"students": 1}, headers=bearer(secret)
    )
    assert asked.status == 404  # an HEI cannot even learn that it exists
    assert await offered_so_far(chat) == before
    listed = await chat.say("nuh-coordinator", "placement list PT")
    assert ref not in str(listed)
    mine = await chat.say(STRANGER, "placement mine")
    assert ref in str(mine)  # its poster still sees it

    await inbox.deliver()
    [asking] = inbox.of(await pid(bot, "nuh-coordinator"))
    assert "Locum physiotherapist (no work email known) says they work in Ward 12 Orthopaedics" in (
        asking.text
    )
    assert ref in asking.text
    assert not inbox.of(await pid(bot, "faculty-lead"))  # the provider has a coordinator

    confirmed = await chat.press("nuh-coordinator", button(asking.reply, "Confirm member"))
    assert "is a member of Ward 12 Orthopaedics" in confirmed.text
    assert await status_of(bot, ref) == "offered"
    record = (await register(api, bot))[ref]
    assert (record["provider"], record["provider_ods_code"], record["team"]) == (
        "Nottingham University Hospitals NHS Trust",
        "RX1",
        "Ward 12 Orthopaedics",
    )
    [told] = [got for got in await inbox.deliver() if got.person_id == await pid(bot, STRANGER)]
    assert "You are now a member of Ward 12 Orthopaedics" in told.text and ref in told.text

    # Now a member: the next offer goes straight in, and asks nobody.
    second = await ref_of(chat, "offer PT 5 Apr - 30 Apr 2027 1 student at Ward 12 Orthopaedics")
    assert await status_of(bot, second) == "offered"
    assert not [got for got in await inbox.deliver() if got.person_id != await pid(bot, STRANGER)]


async def test_not_ours_keeps_the_offer_out_for_good_and_tells_the_poster_politely(
    chat: Chat, bot: PlaceBot, api: TestClient, inbox: Inbox
) -> None:
    ref = await ref_of(chat, OFFER)
    await inbox.deliver()
    asking = inbox.last(await pid(bot, "nuh-coordinator"))
    declined = await chat.press("nuh-coordinator", button(asking, "Not ours"))
    assert "is not one of Ward 12 Orthopaedics" in declined.text
    assert await status_of(bot, ref) == "dropped"
    assert ref not in await register(api, bot)
    assert ref not in await register(api, bot, updated_since="2000-01-01T00:00:00Z")
    told = inbox.last(await pid(bot, STRANGER)) if await inbox.deliver() else None
    assert told is not None and "could not confirm that you work there" in told.text
    assert "thank you for offering" in told.text

    # Pressed again, or by the faculty lead: decided already, nothing changes.
    again = await chat.press("faculty-lead", button(asking, "Confirm member"))
    assert "declined already" in again.text
    assert await status_of(bot, ref) == "dropped"

    # The team has said not ours: a later offer naming it is refused, and nothing is stored.
    offers = await chat.count(PlacementOffer)
    refused = await chat.say(STRANGER, OFFER)
    assert "said you are not a member there" in refused.text
    assert await chat.count(PlacementOffer) == offers


async def test_only_the_coordinator_or_the_faculty_lead_confirms_a_member(
    chat: Chat, bot: PlaceBot, inbox: Inbox
) -> None:
    ref = await ref_of(chat, OFFER)
    await inbox.deliver()
    asking = inbox.last(await pid(bot, "nuh-coordinator"))
    for who in (STRANGER, "ward12-physio", "nottingham-lead"):
        refused = await chat.press(who, button(asking, "Confirm member"))
        assert "Only Nottingham University Hospitals NHS Trust's" in refused.text, who
    assert await status_of(bot, ref) == "awaiting"
    by_lead = await chat.press("faculty-lead", button(asking, "Confirm member"))
    assert "is a member" in by_lead.text
    assert await status_of(bot, ref) == "offered"


async def test_a_stranger_cannot_confirm_edit_or_withdraw_another_teams_offer(
    chat: Chat, bot: PlaceBot, api: TestClient
) -> None:
    theirs = await ref_of(chat, OFFER, who="ward12-physio")
    secret = await make_token(bot, NOTTINGHAM)
    asked = await api.post(
        f"/api/v1/placements/{theirs}/requests", json={"students": 1}, headers=bearer(secret)
    )
    assert asked.status == 201, await asked.text()
    request_id = (await asked.json())["id"]
    before = (await register(api, bot))[theirs]
    for words in (
        f"placement confirm {theirs} #{request_id}",
        f"placement decline {theirs} #{request_id}",
        f"placement edit {theirs} capacity 1",
        f"placement withdraw {theirs}",
    ):
        reply = await chat.say(STRANGER, words, name="Locum physiotherapist")
        assert "Only the team that offered" in reply.text, words
    assert (await register(api, bot))[theirs] == before


async def test_a_held_offer_on_a_block_answers_nothing_until_it_is_released(
    chat: Chat, bot: PlaceBot, inbox: Inbox
) -> None:
    blocks = await chat.say("ward12-physio", "placement blocks PT")
    [block] = [item.title.split(" ")[0] for item in blocks.items if "year 2 block 2" in item.title]
    before = await offered_so_far(chat)
    ref = await ref_of(
        chat, f"offer PT 18 Jan - 26 Feb 2027 2 students at Ward 12 Orthopaedics block {block}"
    )
    assert await offered_so_far(chat) == before
    await inbox.deliver()
    await chat.press(
        "nuh-coordinator", button(inbox.last(await pid(bot, "nuh-coordinator")), "Confirm member")
    )
    assert await status_of(bot, ref) == "offered"
    assert await offered_so_far(chat) != before


async def test_its_poster_may_withdraw_a_held_offer_and_hei_never_see_it(
    chat: Chat, bot: PlaceBot, api: TestClient
) -> None:
    ref = await ref_of(chat, OFFER)
    reply = await chat.say(STRANGER, f"placement withdraw {ref} posted by mistake")
    assert "HEIs never saw it" in reply.text
    assert await status_of(bot, ref) == "dropped"
    assert ref not in await register(api, bot, updated_since="2000-01-01T00:00:00Z")


async def test_a_held_offer_whose_start_passes_is_dropped_not_expired(
    chat: Chat, bot: PlaceBot, api: TestClient, clock: FixedClock
) -> None:
    ref = await ref_of(chat, "offer PT 7 Dec - 18 Dec 2026 1 student at Ward 12 Orthopaedics")
    clock.at += timedelta(days=20)
    await housekeeping.tidy(JobContext(bot.sessions, clock, bot.settings))
    assert await status_of(bot, ref) == "dropped"
    assert ref not in await register(api, bot, updated_since="2000-01-01T00:00:00Z")


async def test_placement_join_asks_ahead_and_the_faculty_lead_answers_without_a_coordinator(
    chat: Chat, bot: PlaceBot, inbox: Inbox
) -> None:
    reply = await chat.say(STRANGER, "placement join Community Mental Health OT")
    assert "I have asked" in reply.text
    await inbox.deliver()
    asking = inbox.last(await pid(bot, "faculty-lead"))  # that trust has no coordinator
    assert "says they work in Community Mental Health OT" in asking.text
    assert not inbox.of(await pid(bot, "nuh-coordinator"))
    again = await chat.say(STRANGER, "placement join community mental health ot")
    assert "I have asked" in again.text
    assert await chat.count(MembershipClaim) == 1  # one claim, one message
    await inbox.deliver()
    assert len(inbox.of(await pid(bot, "faculty-lead"))) == 1

    await chat.press("faculty-lead", button(asking, "Confirm member"))
    ref = await ref_of(chat, "offer OT 1 Mar - 19 Mar 2027 1 student at Community Mental Health OT")
    assert await status_of(bot, ref) == "offered"
    member = await chat.say(STRANGER, "placement join Community Mental Health OT")
    assert "already a member" in member.text


async def test_join_names_a_team_that_exists_once(chat: Chat) -> None:
    unknown = await chat.say(STRANGER, "placement join Ward 99")
    assert "I don't know a team called “Ward 99”" in unknown.text
    empty = await chat.say(STRANGER, "placement join")
    assert "Which team?" in empty.text
    assert await chat.count(MembershipClaim) == 0


async def test_each_decision_is_audited_with_who_and_the_edge(
    chat: Chat, bot: PlaceBot, inbox: Inbox
) -> None:
    ref = await ref_of(chat, OFFER)
    await inbox.deliver()
    await chat.press(
        "nuh-coordinator", button(inbox.last(await pid(bot, "nuh-coordinator")), "Confirm member")
    )
    async with bot.sessions() as session:
        events = (
            await session.execute(
                select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.edge)
                .where(AuditEvent.action.like("membership.%") | (AuditEvent.entity_ref == ref))
                .order_by(AuditEvent.id)
            )
        ).all()
    stranger, coordinator = await pid(bot, STRANGER), await pid(bot, "nuh-coordinator")
    assert [tuple(e) for e in events] == [
        ("offer.create", stranger, "local"),
        ("membership.ask", stranger, "local"),
        ("membership.join", coordinator, "local"),
        ("offer.release", coordinator, "local"),
        ("membership.confirmed", coordinator, "local"),
    ]
