"""Nudges about offers that start soon and are not confirmed: to whoever posted them, else
their team."""

from __future__ import annotations

from storage.tables import PlacementOffer
from tests.support.faculty import MONDAY, SCAN, Faculty, facts, labels, the_button


async def test_an_unconfirmed_offer_starting_soon_is_nudged_to_whoever_posted_it(
    faculty: Faculty,
) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",))
    ref = await faculty.offer("physio", starts_in=10)
    assert (await faculty.scan()).startswith("1 nudge queued")
    [nudge] = await faculty.nudges("physio")
    assert (nudge.kind, nudge.subject, nudge.sent_on, nudge.outcome) == (
        "offer_start",
        ref,
        MONDAY,
        "open",
    )
    [got] = await faculty.deliver()  # at once, through the local chat, under its nudge key
    assert (got.person_id, got.key, got.channel, got.at) == (
        faculty.ids["physio"],
        f"nudge:{faculty.ids['physio']}:2026-11-23",
        "local",
        SCAN,
    )
    reply = got.reply
    assert reply.text.startswith(f"Your placement offer {ref} starts in 10 days")
    assert "No HEI has asked for it yet" in reply.text
    assert facts(reply)["Dates"].startswith("Thu 3 Dec 2026")
    assert facts(reply)["Place"].startswith("Stroke Rehab")
    assert labels(reply) == ["Withdraw", "Snooze a week"]
    assert the_button(reply, "Withdraw").value == f"{ref}:1"


async def test_waiting_requests_bring_a_confirm_button_that_confirms(faculty: Faculty) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",))
    ref = await faculty.offer("physio", starts_in=5)
    await faculty.request(ref, students=2)
    await faculty.scan()
    await faculty.deliver()
    reply = faculty.last_message("physio")
    assert labels(reply) == ["Confirm", "Withdraw", "Snooze a week"]
    assert "1 HEI request is waiting" in reply.text
    assert facts(reply)["Requests waiting"] == "1"
    pressed = await faculty.chat.press("physio", the_button(reply, "Confirm"))
    assert pressed.tone == "success", pressed.text
    [offer] = await faculty.rows(PlacementOffer)
    assert offer.status == "confirmed"


async def test_confirmed_offers_and_offers_starting_later_are_left_alone(faculty: Faculty) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",))
    await faculty.offer("physio", starts_in=5, status="confirmed")
    await faculty.offer("physio", starts_in=20)
    await faculty.offer("physio", starts_in=5, status="withdrawn")
    assert (await faculty.scan()).startswith("0 nudges queued")
    assert await faculty.nudges() == []
    assert await faculty.deliver() == []


async def test_when_the_poster_has_opted_out_their_team_hears_instead(faculty: Faculty) -> None:
    await faculty.person("physio", team="stroke", professions=("PT",), opted_out=True)
    await faculty.person("colleague", team="stroke", professions=("PT",))
    await faculty.person("ot", team="community", professions=("OT",))
    ref = await faculty.offer("physio", starts_in=7)
    await faculty.scan()
    assert await faculty.nudges("physio") == []
    assert [(n.kind, n.subject) for n in await faculty.nudges("ot")] == []
    await faculty.deliver()
    assert faculty.received("physio") == []
    reply = faculty.last_message("colleague")
    assert reply.text.startswith(f"Your team's placement offer {ref} starts in 7 days")
