"""`summary`: a faculty lead sees this week's summary now, with the figures as they stand and
their own link to the report page; anyone else is told politely what they can use instead."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient

from tests.support.chat import Chat, button, fact

OFFER = "placement offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab"


async def test_a_faculty_lead_sees_the_summary_now_with_a_report_link(
    chat: Chat, api: TestClient
) -> None:
    before = await chat.say("faculty-lead", "summary")
    await chat.say("stroke-physio", OFFER)
    reply = await chat.say("faculty-lead", "summary")

    assert reply.private and reply.text.startswith("Weekly placement summary for 2026/27")
    assert "Figures as they stand now." in reply.text
    assert fact(before, "New this week") == "0 offers, 0 students"
    assert fact(reply, "New this week") == "1 offer, 2 students"  # the offer posted a moment ago
    assert reply.image is not None
    assert not any(item.title == "To stop this summary" for item in reply.items)
    link = button(reply, "Open the report").url or ""
    page = await api.get(f"{urlsplit(link).path}?{urlsplit(link).query}")
    assert page.status == 200 and "Placement progress, 2026/27" in await page.text()

    again = await chat.say("faculty-lead", "digest summary now")
    assert fact(again, "New this week") == "1 offer, 2 students"


async def test_others_are_refused_and_extra_words_are_explained(chat: Chat) -> None:
    refused = await chat.say("nottingham-lead", "summary")
    assert refused.tone == "error" and "for AHP faculty leads" in refused.text
    assert "`digest now`" in refused.text
    clinician = await chat.say("stroke-physio", "/placement summary")
    assert clinician.tone == "error" and "for AHP faculty leads" in clinician.text
    extra = await chat.say("faculty-lead", "summary PT")
    assert extra.tone == "error" and "`summary` needs nothing after it" in extra.text
    assert "“summary PT”" in extra.text
