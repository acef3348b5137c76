"""Once an HEI has asked for places, the offer keeps its promises: edits and withdrawals."""

from __future__ import annotations

from sqlalchemy import select

from bot.kernel.context import Context
from bot.requests import service as placement_requests
from storage.tables import Organisation, PlacementOffer, PlacementRequest
from tests.support.chat import Chat, button, fact

OFFER = "placement offer PT 1 Feb - 12 Mar 2027 3 students at Stroke Rehab"


async def offer_with_request(chat: Chat, students: int = 3) -> str:
    ref = fact(await chat.say("stroke-physio", OFFER), "Reference")
    async with chat.bot.sessions.begin() as session:
        hei = (
            await session.execute(select(Organisation).where(Organisation.ukprn == "10007154"))
        ).scalar_one()
        ctx = Context(session, None, chat.bot.clock, chat.bot.settings, "api")
        await placement_requests.request_places(ctx, hei, ref, students)
    return ref


async def stored(chat: Chat) -> tuple[PlacementOffer, list[PlacementRequest]]:
    async with chat.bot.sessions() as session:
        offer = (await session.execute(select(PlacementOffer))).unique().scalar_one()
        requests = list((await session.execute(select(PlacementRequest))).scalars())
    return offer, requests


async def test_capacity_cannot_drop_below_the_places_asked_for(chat: Chat) -> None:
    ref = await offer_with_request(chat, students=2)
    refused = await chat.say("stroke-physio", f"placement edit {ref} capacity 1")
    assert refused.tone == "error"
    assert "cannot go below 2" in refused.text
    assert (await chat.say("stroke-physio", f"placement edit {ref} capacity 2")).tone == "success"
    offer, _ = await stored(chat)
    assert offer.capacity == 2


async def test_dates_and_profession_are_fixed_once_requested(chat: Chat) -> None:
    ref = await offer_with_request(chat)
    for change in ("dates 1 Jun - 12 Jul 2027", "profession OT", "end 19 Mar 2027"):
        reply = await chat.say("stroke-physio", f"placement edit {ref} {change}")
        assert reply.tone == "error", change
        assert "dates and profession are fixed" in reply.text
    reply = await chat.say("stroke-physio", f"placement edit {ref} educator Band 6 physiotherapist")
    assert reply.tone == "success"


async def test_withdrawing_cancels_the_requests_standing_on_it(chat: Chat) -> None:
    ref = await offer_with_request(chat)
    await chat.say("stroke-physio", f"placement withdraw {ref} ward closed")
    offer, requests = await stored(chat)
    assert offer.status == "withdrawn"
    assert [r.status for r in requests] == ["cancelled"]
    assert "the offer was withdrawn" in (requests[0].note or "")


async def test_a_second_withdraw_click_changes_nothing_and_says_so_politely(chat: Chat) -> None:
    posted = await chat.say("stroke-physio", OFFER)
    asking = await chat.press("stroke-physio", button(posted, "Withdraw"))
    yes = button(asking, "Yes, withdraw")
    await chat.press("stroke-physio", yes)
    again = await chat.press("stroke-physio", yes)
    assert again.tone == "success"
    assert "withdrawn" in again.text
    offer, _ = await stored(chat)
    assert (offer.status, offer.version) == ("withdrawn", 2)


async def test_an_end_date_without_a_year_follows_the_start_across_new_year(chat: Chat) -> None:
    reading = await chat.say(
        "stroke-physio", "placement offer PT 14 Dec - 15 Jan 2 students at Stroke Rehab"
    )
    assert "No year was given, so I read the dates as Mon 14 Dec 2026" in reading.text
    ref = fact(await chat.press("stroke-physio", button(reading, "Post")), "Reference")
    reply = await chat.say("stroke-physio", f"placement edit {ref} end 22 Jan")
    assert reply.tone == "success", reply.text
    offer, _ = await stored(chat)
    assert (offer.start_date.isoformat(), offer.end_date.isoformat()) == (
        "2026-12-14",
        "2027-01-22",
    )


async def test_odd_digits_in_a_capacity_get_a_polite_answer(chat: Chat) -> None:
    ref = fact(await chat.say("stroke-physio", OFFER), "Reference")
    for value in ("²", "٣", "9" * 5000):
        reply = await chat.say("stroke-physio", f"placement edit {ref} capacity {value}"[:990])
        assert reply.tone == "error"
        assert "went wrong" not in reply.text
    form = (await chat.say("stroke-physio", "placement offer")).form
    assert form is not None
    reply = await chat.submit(
        "stroke-physio",
        form,
        profession="PT",
        start="1 Feb 2027",
        end="12 Mar 2027",
        capacity="²",
        place="Ward 1",
    )
    assert reply.tone == "error"
    assert "went wrong" not in reply.text


async def test_a_clinician_cannot_file_an_offer_under_another_trusts_team(chat: Chat) -> None:
    reply = await chat.say(
        "community-ot",
        "placement offer OT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab, City Hospital",
    )
    assert reply.tone == "success"
    offer, _ = await stored(chat)
    assert (offer.team_id, offer.site_id) == (None, None)  # kept as typed, not NUH's team
    assert offer.provider is not None
    assert offer.provider.ods_code == "RHA"  # the poster's own trust
    edit = await chat.say("stroke-physio", f"placement edit {offer.ref} capacity 1")
    assert edit.tone == "error"


async def test_hei_leads_do_not_post_offers(chat: Chat) -> None:
    reply = await chat.say("nottingham-lead", OFFER)
    assert reply.tone == "error"
    assert "register API" in reply.text
    assert await chat.count(PlacementOffer) == 0
