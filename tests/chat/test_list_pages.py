"""Lists say how many there are and how to see the rest, with a Show more button that fetches
the next page; filters that are not understood are named; profession aliases work everywhere
the README lists them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.kernel.clock import FixedClock
from storage.tables import PlacementOffer, Target, Team, TrainingEvent
from tests.support import slack_wire, teams_wire
from tests.support.builder import Builder
from tests.support.chat import Chat, button, fact
from tests.support.slack_rig import SlackRig, slack_button
from tests.support.teams_rig import TeamsRig, actions

README_ALIASES = [("physio", "PT"), ("SALT", "SLT"), ("chiropody", "POD"), ("OT", "OT")]


def titles(reply) -> list[str]:
    return [item.title for item in reply.items]


async def test_training_says_how_many_and_show_more_fetches_the_rest(chat: Chat) -> None:
    first = await chat.say("stroke-physio", "training")
    assert first.text == (
        "Upcoming educator training, soonest first: 15 of 22. Narrow it (`training next 4 "
        "weeks`) or see the rest: Show more, or `training page 2`."
    )
    assert len(first.items) == 15
    more = button(first, "Show more")
    second = await chat.press("stroke-physio", more)
    assert second.text == "Upcoming educator training, soonest first: 16–22 of 22."
    assert len(second.items) == 7 and second.buttons == ()
    typed = await chat.say("stroke-physio", "training page 2")
    assert typed == second
    async with chat.bot.sessions() as session:
        stored = (await session.execute(select(TrainingEvent.title))).scalars().all()
    assert sorted(titles(first) + titles(second)) == sorted(stored)


async def test_a_long_window_pages_too(chat: Chat) -> None:
    year = await chat.say("stroke-physio", "training next 52 weeks")
    assert year.text.startswith(
        "Upcoming educator training in the next 52 weeks (to Mon 22 Nov 2027), soonest "
        "first: 15 of 22."
    )
    rest = await chat.press("stroke-physio", button(year, "Show more"))
    assert rest.text.startswith("Upcoming educator training in the next 52 weeks")
    assert "16–22 of 22" in rest.text


async def test_training_next_month_looks_a_month_ahead(chat: Chat, clock: FixedClock) -> None:
    reply = await chat.say("stroke-physio", "training next month")
    assert reply.tone == "info", reply.text
    until = clock.now() + timedelta(days=30)  # 23 Nov to 23 Dec
    async with chat.bot.sessions() as session:
        within = (
            await session.execute(select(TrainingEvent.id).where(TrainingEvent.starts_at <= until))
        ).all()
    assert 0 < len(within) < 22
    assert reply.text == (
        "Upcoming educator training in the next month (to Wed 23 Dec 2026), soonest first: "
        f"{len(within)}."
    )
    assert len(reply.items) == len(within)


@pytest.mark.parametrize("words", ["training foo", "training PT foo", "training next 3 weeks foo"])
async def test_an_unknown_filter_is_named(chat: Chat, words: str) -> None:
    reply = await chat.say("stroke-physio", words)
    assert (reply.tone, reply.text) == (
        "error",
        "I don't know the filter “foo”. Filter by a profession (PT, OT, SALT, ...), an "
        "organiser (Lincoln) or a time (next 8 weeks, next month).\n"
        "For example: training OT next 8 weeks",
    )


async def test_a_profession_with_no_training_says_which_it_looked_for(chat: Chat) -> None:
    reply = await chat.say("stroke-physio", "training SALT")
    assert reply.text == (
        "No upcoming educator training for Speech and language therapy (SLT). "
        "`training` alone lists all 22 coming up."
    )
    added = await chat.say(
        "nottingham-lead",
        'training add "SLT educator update" 3 Feb 2027 10:00-11:00 SLT online '
        "https://events.example.org/slt",
    )
    assert added.tone == "success", added.text
    found = await chat.say("stroke-physio", "training SALT")
    assert "SLT educator update" in titles(found)
    assert {fact_of(item, "For") for item in found.items} <= {"SLT", "all professions"}


def fact_of(item, label: str) -> str:
    return next(f.value for f in item.facts if f.label == label)


@pytest.mark.parametrize(("alias", "code"), README_ALIASES)
async def test_profession_aliases_work_everywhere_the_readme_lists_them(
    chat: Chat, alias: str, code: str
) -> None:
    by_alias = await chat.say("stroke-physio", f"training {alias}")
    by_code = await chat.say("stroke-physio", f"training {code}")
    assert by_alias.tone == "info" and titles(by_alias) == titles(by_code)
    blocks = await chat.say("stroke-physio", f"placement blocks {alias}")
    assert blocks.tone == "info" and titles(blocks) == titles(
        await chat.say("stroke-physio", f"placement blocks {code}")
    )
    posted = await chat.say(
        "stroke-physio", f"placement offer {alias} 1 Feb - 12 Mar 2027 1 student at Stroke Rehab"
    )
    assert posted.tone == "success", posted.text
    listed = await chat.say("stroke-physio", f"placement list {alias}")
    assert [t.split(" · ")[1] for t in titles(listed)] == [code]
    target = await chat.say("faculty-lead", f"admin target set {alias} 2026/27 7")
    assert target.tone == "success", target.text
    async with chat.bot.sessions() as session:
        stored = (
            await session.execute(
                select(Target.extra_placements).where(
                    Target.profession == code, Target.academic_year == "2026/27"
                )
            )
        ).scalar_one()
    assert stored == 7


async def stroke_rehab(chat: Chat, name: str = "Stroke Rehab") -> Team:
    async with chat.bot.sessions() as session:
        return (await session.execute(select(Team).where(Team.name == name))).scalar_one()


async def test_placement_list_pages_and_show_more_fetches_the_rest(
    chat: Chat, build: Builder
) -> None:
    team = await stroke_rehab(chat)
    for n in range(25):
        start = date(2027, 2, 1) + timedelta(days=n)
        await build.offer("PT", start, start + timedelta(weeks=6), team=team, ref_year=2099)
    first = await chat.say("stroke-physio", "placement list PT")
    assert first.text == (
        "Open placement offers, soonest first: 20 of 25. Narrow it (`placement list PT from "
        "1 Feb 2027 to 28 Feb 2027`) or see the rest: Show more, or `placement list PT page 2`."
    )
    second = await chat.press("stroke-physio", button(first, "Show more"))
    assert second.text == "Open placement offers, soonest first: 21–25 of 25."
    refs = [t.split(" · ")[0] for t in titles(first) + titles(second)]
    async with chat.bot.sessions() as session:
        stored = (
            (await session.execute(select(PlacementOffer.ref).order_by(PlacementOffer.start_date)))
            .scalars()
            .all()
        )
    assert refs == list(stored)
    beyond = await chat.say("stroke-physio", "placement list PT page 3")
    assert beyond.text == (
        "There is no page 3: 25 in all, 20 a page. Type `placement list PT` for the first."
    )


async def test_a_coordinators_mine_covers_every_team_of_the_provider(
    chat: Chat, build: Builder
) -> None:
    stroke, ward12 = await stroke_rehab(chat), await stroke_rehab(chat, "Ward 12 Orthopaedics")
    start = date(2027, 2, 1)
    for team, n in ((stroke, 2), (ward12, 1)):
        for _ in range(n):
            await build.offer("PT", start, start + timedelta(weeks=6), team=team, ref_year=2099)
    elsewhere = await chat.say(
        "community-ot",
        "placement offer OT 1 Feb - 12 Mar 2027 1 student at Community Mental Health OT",
    )
    assert elsewhere.tone == "success", elsewhere.text
    mine = await chat.say("nuh-coordinator", "placement mine")
    assert mine.text == (
        "Nottingham University Hospitals NHS Trust's open offers, by team: 3 "
        "(Stroke Rehab 2, Ward 12 Orthopaedics 1)."
    )
    assert [t if " · " not in t else "offer" for t in titles(mine)] == [
        "Stroke Rehab",
        "offer",
        "offer",
        "Ward 12 Orthopaedics",
        "offer",
    ]
    assert all(item.buttons for item in mine.items if " · " in item.title)
    clinician = await chat.say("stroke-physio", "placement mine")
    assert clinician.text == "Your team's offers: 2."
    assert fact(clinician, "Place").startswith("Ward")


PAGE_TWO = "Upcoming educator training, soonest first: 16–22 of 22."


async def test_show_more_works_in_slack(slack_rig: SlackRig) -> None:
    await slack_rig.command("", command="/training")
    [answer] = await slack_rig.slack.wait_for("response:r1")
    assert answer.body["text"].startswith("Upcoming educator training, soonest first: 15 of 22.")
    more = slack_button(answer.body, "Show more")
    pressed = slack_wire.block_action(
        more["action_id"], more["value"], slack_rig.slack.response_url("more")
    )
    assert (await slack_rig.post(pressed)).status == 200
    [second] = await slack_rig.slack.wait_for("response:more")
    assert second.body["text"] == PAGE_TWO


async def test_show_more_works_in_teams(teams_rig: TeamsRig) -> None:
    card = teams_rig.card(await teams_rig.say("training"))
    more = next(a for a in actions(card) if a["title"] == "Show more")
    response = await teams_rig.post(
        teams_wire.execute(teams_rig.connector.service_url, more["data"], more["verb"])
    )
    assert response.status == 200
    assert (await response.json())["value"]["body"][0]["text"] == PAGE_TWO


async def test_a_list_that_finds_nothing_says_what_it_looked_for(chat: Chat) -> None:
    assert (await chat.say("stroke-physio", "placement list")).text == "No open placement offers."
    posted = await chat.say(
        "stroke-physio", "placement offer PT 1 Feb - 12 Mar 2027 1 student at Stroke Rehab"
    )
    assert posted.tone == "success", posted.text
    reply = await chat.say("stroke-physio", "placement list SALT from 1 Jan 2027 Nowhere Ward")
    assert reply.text == (
        "No open placement offers for Speech and language therapy (SLT) ending on or after "
        "Fri 1 Jan 2027 at “Nowhere Ward”. `placement list` alone shows every open offer."
    )
    assert len((await chat.say("stroke-physio", "placement list physio")).items) == 1
