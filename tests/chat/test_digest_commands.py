"""HEI leads choose how often, and where, their digest comes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.kernel.clock import FixedClock
from storage.tables import Identity, Person
from tests.support.chat import Chat, fact
from tests.support.inbox import Inbox


async def lead(chat: Chat, key: str) -> Person:
    async with chat.bot.sessions() as session:
        return (
            (
                await session.execute(
                    select(Person)
                    .join(Identity, Identity.person_id == Person.id)
                    .where(Identity.external_id == key)
                )
            )
            .unique()
            .scalar_one()
        )


async def test_a_lead_chooses_daily_then_off_then_weekly(chat: Chat) -> None:
    assert "weekly, on Mondays at 08:00" in (await chat.say("nottingham-lead", "digest")).text
    assert "daily, every working day" in (await chat.say("nottingham-lead", "digest daily")).text
    assert (await lead(chat, "nottingham-lead")).digest_frequency == "daily"
    assert "off" in (await chat.say("nottingham-lead", "digest off")).text
    assert (await lead(chat, "nottingham-lead")).digest_frequency == "off"
    assert "weekly" in (await chat.say("nottingham-lead", "digests weekly")).text


async def test_email_needs_an_address_and_chat_undoes_it(chat: Chat) -> None:
    reply = await chat.say("nottingham-lead", "digest email")
    assert reply.tone == "error" and "no email address" in reply.text
    assert (await lead(chat, "nottingham-lead")).preferred_channel != "email"
    async with chat.bot.sessions.begin() as session:
        person = await session.get(Person, (await lead(chat, "nottingham-lead")).id)
        assert person is not None
        person.email = "placements@nottingham.example.org"
    reply = await chat.say("nottingham-lead", "digest email")
    assert "by email" in reply.text
    assert (await lead(chat, "nottingham-lead")).preferred_channel == "email"
    assert "here in chat" in (await chat.say("nottingham-lead", "digest chat")).text
    assert (await lead(chat, "nottingham-lead")).preferred_channel is None  # where they talk


async def test_a_clinician_is_told_digests_are_for_leads(chat: Chat) -> None:
    reply = await chat.say("stroke-physio", "digest daily")
    assert reply.tone == "error" and "HEI placement leads" in reply.text
    assert (await lead(chat, "stroke-physio")).digest_frequency == "weekly"


async def test_an_unknown_digest_word_says_what_works(chat: Chat) -> None:
    reply = await chat.say("nottingham-lead", "digest hourly")
    assert reply.tone == "error" and "daily, weekly, off" in reply.text


async def test_digest_now_sends_the_changes_since_the_last_one_and_moves_it_on(
    chat: Chat, inbox: Inbox, clock: FixedClock
) -> None:
    posted = await chat.say(
        "ward12-physio", "offer PT 1 Mar - 19 Mar 2027 2 students at Ward 12 Orthopaedics"
    )
    ref = fact(posted, "Reference")
    reply = await chat.say("nottingham-lead", "digest now")
    assert reply.text.startswith("Your digest is on its way"), reply.text
    [digest] = await inbox.deliver()
    assert digest.person_id == (await lead(chat, "nottingham-lead")).id
    assert ref in str(digest.reply)
    assert (await lead(chat, "nottingham-lead")).last_digest_at is not None
    clock.at += timedelta(minutes=5)
    again = await chat.say("nottingham-lead", "digest now")  # asked again: nothing new since
    assert again.text.startswith("Your digest is on its way")
    [second] = await inbox.deliver()
    assert ref not in str(second.reply)


async def test_digest_now_is_for_hei_leads(chat: Chat, inbox: Inbox) -> None:
    for who in ("faculty-lead", "ward12-physio"):
        reply = await chat.say(who, "digest now")
        assert reply.tone == "error" and "Digests go to HEI placement leads" in reply.text
    assert await inbox.deliver() == []
