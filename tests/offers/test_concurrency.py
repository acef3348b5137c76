"""Several people writing at the same moment: every offer stored once, with its own reference."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from storage.tables import PlacementOffer
from tests.support.chat import Chat


async def test_concurrent_offers_get_distinct_references(chat: Chat) -> None:
    people = ["stroke-physio", "ward12-physio", "community-ot", "nuh-coordinator"] * 3
    replies = await asyncio.gather(
        *(
            chat.say(who, f"placement offer PT 1 Feb - 12 Mar 2027 {n + 1} students at Ward {n}")
            for n, who in enumerate(people)
        )
    )
    assert [reply.tone for reply in replies] == ["success"] * len(people), [r.text for r in replies]
    async with chat.bot.sessions() as session:
        refs = (await session.execute(select(PlacementOffer.ref))).scalars().all()
    assert len(refs) == len(set(refs)) == len(people)


async def test_concurrent_edits_of_one_offer_never_lose_a_version(chat: Chat) -> None:
    posted = await chat.say(
        "stroke-physio", "placement offer PT 1 Feb - 12 Mar 2027 1 student at Stroke Rehab"
    )
    ref = next(f.value for f in posted.facts if f.label == "Reference")
    replies = await asyncio.gather(
        *(chat.say("stroke-physio", f"placement edit {ref} capacity {n}") for n in range(2, 8))
    )
    saved = [reply for reply in replies if reply.tone == "success"]
    async with chat.bot.sessions() as session:
        offer = (await session.execute(select(PlacementOffer))).unique().scalar_one()
    # Each saved edit made exactly one new version; a losing racer is told to try again.
    assert offer.version == 1 + len(saved)
    assert all("try again" in r.text for r in replies if r.tone != "success")


async def test_a_redelivered_command_acts_once(chat: Chat) -> None:
    from bot.kernel.messages import Command

    command = Command(
        chat.actor("stroke-physio"),
        text="placement offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab",
        delivery_key="test:trigger:1",
    )
    replies = await asyncio.gather(*(chat.bot.handle_once(command) for _ in range(4)))
    assert sum(reply is not None for reply in replies) == 1
    assert await chat.bot.handle_once(command) is None
    assert await chat.count(PlacementOffer) == 1
