"""An HEI lead requests places from chat ("Request places" and its form, or typed) with the same
service, checks and fairness as the register API, and sees where their requests stand."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.kernel.messages import Button
from bot.reports.digests import queries as digest_queries
from bot.reports.digests.message import digest_reply
from bot.requests.form import REQUEST_FORM
from storage.tables import AuditEvent, Organisation, PlacementRequest
from tests.support.chat import Chat, button, fact

OFFER = "offer PT 1 Mar - 19 Mar 2027 3 students at Ward 12 Orthopaedics"


async def stored(chat: Chat) -> list[tuple[str, int, str, str | None]]:
    async with chat.bot.sessions() as session:
        rows = await session.execute(
            select(Organisation.name, PlacementRequest.students, PlacementRequest.status)
            .join(Organisation, Organisation.id == PlacementRequest.hei_id)
            .order_by(PlacementRequest.id)
        )
        notes = (await session.execute(select(PlacementRequest.note))).scalars().all()
        return [(*row, note) for row, note in zip(rows.all(), notes, strict=True)]


async def test_a_lead_requests_places_through_the_form_and_sees_the_request(chat: Chat) -> None:
    ref = fact(await chat.say("ward12-physio", OFFER), "Reference")
    opened = await chat.press("nottingham-lead", Button("Request places", "offer.request", ref))
    assert opened.form is not None and opened.form.form_id == REQUEST_FORM
    assert [f.name for f in opened.form.fields] == ["students", "note"]
    done = await chat.submit("nottingham-lead", opened.form, students="2", note="year 2 cohort")
    assert done.tone == "success", done.text
    assert done.text.startswith(f"Requested 2 places on {ref} for University of Nottingham:")
    assert await stored(chat) == [("University of Nottingham", 2, "pending", "year 2 cohort")]
    async with chat.bot.sessions() as session:
        audit = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "request.create"))
        ).scalar_one()
    assert audit.edge == "local"
    mine = await chat.say("nottingham-lead", "placement requests")
    [item] = mine.items
    assert item.title.startswith(f"{ref}#") and item.text == "with the provider to confirm"
    assert fact(mine, "Students") == "2"


async def test_a_wrong_form_comes_back_beside_its_field_and_stores_nothing(chat: Chat) -> None:
    ref = fact(await chat.say("ward12-physio", OFFER), "Reference")
    opened = await chat.press("nottingham-lead", Button("Request places", "offer.request", ref))
    assert opened.form is not None
    for students in ("lots", "0", "31"):
        again = await chat.submit("nottingham-lead", opened.form, students=students)
        assert again.tone == "error" and again.form is not None
        assert again.form.form_id == REQUEST_FORM
        assert {f.name: f.error for f in again.form.fields}["students"].startswith("Students is")
    too_many = await chat.submit("nottingham-lead", opened.form, students="4")
    assert too_many.tone == "error" and "has 3 places left; you asked for 4" in too_many.text
    assert await stored(chat) == []


async def test_typed_requests_follow_the_same_rules(chat: Chat) -> None:
    ref = fact(await chat.say("ward12-physio", OFFER), "Reference")
    opened = await chat.say("shu-lead", f"placement request {ref}")
    assert opened.form is not None
    done = await chat.say("shu-lead", f"placement request {ref} 1 Tuesdays off")
    assert done.tone == "success", done.text
    twice = await chat.say("shu-lead", f"placement request {ref} 1")
    assert twice.tone == "error" and "already has request" in twice.text
    bad = await chat.say("shu-lead", f"placement request {ref} several")
    assert bad.tone == "error" and "how many students" in bad.text
    assert await stored(chat) == [("Sheffield Hallam University", 1, "pending", "Tuesdays off")]


async def test_only_hei_leads_request_and_leads_see_no_team_buttons(chat: Chat) -> None:
    ref = fact(await chat.say("ward12-physio", OFFER), "Reference")
    refused = await chat.press("stroke-physio", Button("Request places", "offer.request", ref))
    assert refused.tone == "error" and "request places for an HEI" in refused.text
    assert await stored(chat) == []
    blocks = await chat.say("nottingham-lead", "placement blocks")
    assert blocks.items and all(item.buttons == () for item in blocks.items)
    labels = {
        b.label
        for item in (await chat.say("stroke-physio", "placement blocks")).items
        for b in item.buttons
    }
    assert labels == {"Offer places", "Maybe", "No capacity"}


async def test_before_release_the_request_is_held_for_the_fair_share(chat: Chat) -> None:
    chat.bot.settings.placebot_release_delay_hours = 24
    ref = fact(await chat.say("ward12-physio", OFFER), "Reference")
    done = await chat.say("nottingham-lead", f"placement request {ref} 3")
    assert "held until release, then shared fairly" in done.text
    assert await stored(chat) == [("University of Nottingham", 3, "held", None)]
    mine = await chat.say("nottingham-lead", f"placement requests {ref}")
    assert fact(mine, "Released") == "Tue 24 Nov 2026"


async def test_the_digest_offers_request_places_on_open_offers(chat: Chat) -> None:
    open_ref = fact(await chat.say("ward12-physio", OFFER), "Reference")
    second = await chat.say("ward12-physio", OFFER)  # the same again: asked first
    assert f"{open_ref} is the same offer and is still open" in second.text
    gone = fact(await chat.press("ward12-physio", button(second, "Post")), "Reference")
    await chat.say("ward12-physio", f"placement withdraw {gone}")
    bot = chat.bot
    async with bot.sessions() as session:
        digests = await digest_queries.compose(
            session, "weekly", bot.clock.now() + timedelta(seconds=1), bot.clock.today()
        )
    [digest] = [d for d in digests if d.lead.hei_name == "University of Nottingham"]
    reply = digest_reply(digest, bot.clock, bot.settings)
    buttons = {item.title.split(" · ")[0]: item.buttons for item in reply.items}
    assert [b.action for b in buttons[open_ref]] == ["offer.request"]
    assert buttons[gone] == ()
