"""Blocks and answers, the training catalogue and nudge preferences, through the chat."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from storage.tables import CapacityAnswer, PlacementBlock, TrainingEvent
from tests.support.chat import Chat, button, fact


async def test_blocks_show_demand_beside_places_offered(chat: Chat) -> None:
    blocks = await chat.say("stroke-physio", "placement blocks PT")
    assert [item.title for item in blocks.items] == [
        "BL-2027-0001 · PT year 2 block 2",
        "BL-2027-0002 · PT year 3 elective",
    ]
    assert fact(blocks, "Offered so far") == "0 (short by 14)"
    await chat.say(
        "stroke-physio",
        "offer PT 25 Jan - 5 Mar 2027 3 students at Stroke Rehab block BL-2027-0001",
    )
    blocks = await chat.say("stroke-physio", "placement blocks physio")
    assert fact(blocks, "Offered so far") == "3 (short by 11)"


async def test_a_team_records_no_capacity_and_can_change_its_mind(chat: Chat) -> None:
    reply = await chat.say("stroke-physio", "placement none BL-2027-0001")
    assert reply.tone == "success"
    blocks = await chat.say("ward12-physio", "placement blocks PT")
    assert "Your team's answer" not in [f.label for f in blocks.items[0].facts]
    maybe = await chat.say("stroke-physio", "placement maybe BL-2027-0001 ask again 4 Jan")
    assert "Mon 4 Jan 2027" in maybe.text
    async with chat.bot.sessions() as session:
        [answer] = (await session.execute(select(CapacityAnswer))).scalars().all()
    assert (answer.answer, answer.ask_again_on.isoformat() if answer.ask_again_on else None) == (
        "maybe",
        "2027-01-04",
    )
    mine = await chat.say("stroke-physio", "placement blocks PT")
    assert fact(mine, "Your team's answer") == "maybe"


async def test_the_offer_places_button_opens_a_form_filled_from_the_block(chat: Chat) -> None:
    blocks = await chat.say("stroke-physio", "placement blocks PT")
    opened = await chat.press("stroke-physio", button(blocks, "Offer places", item=0))
    assert opened.form is not None
    values = {field.name: field.value for field in opened.form.fields}
    assert (values["profession"], values["block"], values["place"]) == (
        "PT",
        "BL-2027-0001",
        "Stroke Rehab",
    )
    created = await chat.submit("stroke-physio", opened.form, capacity="2")
    assert created.tone == "success", created.text
    assert fact(created, "Block").startswith("BL-2027-0001")


async def test_hei_leads_add_blocks_and_clinicians_cannot(chat: Chat) -> None:
    line = "placement block add OT year 2 block 1 1 Mar - 9 Apr 2027 8 students close 1 Feb"
    refused = await chat.say("community-ot", line)
    assert refused.tone == "error"
    assert "Only hei leads or faculty leads" in refused.text
    added = await chat.say("shu-lead", line)
    assert added.tone == "success", added.text
    async with chat.bot.sessions() as session:
        block = (
            await session.execute(select(PlacementBlock).where(PlacementBlock.students == 8))
        ).scalar_one()
    assert (block.cohort, block.hei.name, block.offers_close.isoformat()) == (
        "OT year 2 block 1",
        "Sheffield Hallam University",
        "2027-02-01",
    )
    assert re.fullmatch(r"BL-2027-\d{4}", block.ref)


def when(item_facts) -> datetime:
    value = next(f.value for f in item_facts if f.label == "When")
    day, times = value.split(", ")
    return datetime.strptime(f"{day} {times.split('–')[0]}", "%a %d %b %Y %H:%M")


async def test_training_lists_ot_events_soonest_first_with_booking_links(chat: Chat) -> None:
    reply = await chat.say("community-ot", "training OT")
    assert len(reply.items) == 7
    starts = [when(item.facts) for item in reply.items]
    assert starts == sorted(starts)
    assert all(item.buttons[0].url.startswith(("https://", "mailto:")) for item in reply.items)
    assert {f.value for item in reply.items for f in item.facts if f.label == "For"} == {"OT"}


async def test_training_filters_by_hei_and_weeks_ahead(chat: Chat) -> None:
    lincoln = await chat.say("stroke-physio", "training PT Lincoln")
    assert lincoln.items
    assert {fact_value(item, "Organiser") for item in lincoln.items} == {"University of Lincoln"}
    soon = await chat.say("stroke-physio", "training physio next 3 weeks")
    everything = await chat.say("stroke-physio", "training physio")
    assert 0 < len(soon.items) < len(everything.items)


def fact_value(item, label: str) -> str:
    return next(f.value for f in item.facts if f.label == label)


async def test_hei_leads_add_training_and_clinicians_cannot(chat: Chat) -> None:
    line = 'training add "Practice educator refresher" 10 Feb 2027 10:00-11:30 PT online https://events.example.org/refresher'
    refused = await chat.say("stroke-physio", line)
    assert refused.tone == "error"
    before = await chat.count(TrainingEvent)
    added = await chat.say("nottingham-lead", line)
    assert added.tone == "success", added.text
    assert await chat.count(TrainingEvent) == before + 1
    assert fact(added, "When") == "Wed 10 Feb 2027, 10:00–11:30"
    assert fact(added, "Organiser") == "University of Nottingham"
    again = await chat.say("nottingham-lead", line)
    assert again.tone == "success"
    assert await chat.count(TrainingEvent) == before + 1  # the same event, not a second one


async def test_nudge_preferences(chat: Chat) -> None:
    assert "on:" in (await chat.say("stroke-physio", "nudges status")).text
    assert (
        "snoozed until Mon 7 Dec 2026" in (await chat.say("stroke-physio", "nudges snooze 2w")).text
    )
    assert "off" in (await chat.say("stroke-physio", "nudges off")).text
    assert "on:" in (await chat.say("stroke-physio", "nudges on")).text


async def test_help_lists_the_commands(chat: Chat) -> None:
    reply = await chat.say("stroke-physio", "placement help")
    labels = [f.label for f in reply.facts]
    assert "placement offer" in labels
    assert any(label.startswith("training") for label in labels)


async def test_training_times_with_dots_are_not_read_as_dates(chat: Chat) -> None:
    line = 'training add "Educator update" 9.30-10.30 on 3 Feb 2027 PT online https://events.example.org/a'
    added = await chat.say("nottingham-lead", line)
    assert added.tone == "success", added.text
    assert fact(added, "When") == "Wed 3 Feb 2027, 09:30–10:30"


async def test_an_overlong_booking_link_is_refused_politely(chat: Chat) -> None:
    link = "https://events.example.org/" + "a" * 600
    reply = await chat.say(
        "nottingham-lead", f'training add "X" 3 Feb 2027 10:00-11:00 PT online {link}'
    )
    assert reply.tone == "error"
    assert "under 500 characters" in reply.text


async def test_only_provider_staff_answer_blocks_and_closed_blocks_cannot_be_added(
    chat: Chat,
) -> None:
    refused = await chat.say("nottingham-lead", "placement none BL-2027-0001")
    assert refused.tone == "error"
    assert "Only clinicians or coordinators" in refused.text
    late = await chat.say(
        "shu-lead",
        "placement block add OT year 2 block 1 1 Mar - 9 Apr 2027 8 students close 1 Dec 2020",
    )
    assert late.tone == "error"
    assert "close today or later" in late.text
