"""What people write shows as they wrote it on every renderer, never as markup: a note saying
`[Confirm](https://phish.example)` is not a link inside PlaceBot's own Teams card, `*urgent*` is not
bold in Slack, `<b>` is not HTML in email. Stored as typed; escaped only on the way out."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from adapters.email import render as email
from adapters.slack import blocks as slack
from adapters.slack import mrkdwn
from adapters.teams import cards as teams
from adapters.workbook.write import write
from bot.chat.placebot import PlaceBot
from bot.faculty.sheets import PEOPLE, Row, Workbook
from bot.kernel.messages import Fact, Item, Reply
from storage.tables import PlacementOffer
from tests.conftest import bearer, make_token
from tests.support.chat import Chat
from tests.support.slack_rig import SlackRig
from tests.support.teams_rig import TeamsRig

PHISH = "[Confirm](https://phish.example)"
MARKS = "**urgent** _now_ ~gone~ `code`"
SLACK_LINK = "<https://phish.example|Confirm> <!channel> & co"
OFFER = f"offer OT 1 Feb - 12 Mar 2027 2 students at {PHISH} Ward 7 notes {PHISH} {MARKS}"
# A markdown link as CommonMark (and any simpler reader) finds one: an unescaped ] then (.
TEAMS_LINK = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(")
SLACK_MARK = re.compile(r"<!date\^0\^\{_\}\|(.)>")


def teams_shows(text: str) -> str:
    """What Teams shows for a TextBlock's markdown once its backslash escapes are read."""
    return re.sub(r"\\(.)", r"\1", text)


def teams_texts(card: dict[str, Any]) -> list[str]:
    """Every TextBlock text and FactSet title and value in a card, at any depth."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(node["text"])
            if node.get("type") == "FactSet":
                found.extend(part for fact in node["facts"] for part in fact.values())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def teams_facts(card: dict[str, Any]) -> dict[str, str]:
    facts: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "FactSet":
                facts.update({teams_shows(f["title"]): f["value"] for f in node["facts"]})
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return facts


def assert_no_teams_markup(card: dict[str, Any]) -> None:
    for text in teams_texts(card):
        assert not TEAMS_LINK.search(text), text
        assert "**" not in text and not re.search(r"(?<!\\)_now", text), text


def slack_shows(text: str) -> str:
    """What Slack shows for escaped mrkdwn: each date token's fallback, entities decoded."""
    return html.unescape(SLACK_MARK.sub(r"\1", text))


def slack_markup(text: str) -> str:
    """The mrkdwn with every literal (escaped) character taken out: what Slack reads as markup."""
    return re.sub(r"&(amp|lt|gt);", "", SLACK_MARK.sub("", text))


def slack_field(message: dict[str, Any], label: str) -> str:
    for block in message["blocks"]:
        for field in block.get("fields", []):
            if field["text"].startswith(f"*{label}*\n"):
                return field["text"].removeprefix(f"*{label}*\n")
    raise AssertionError(f"no field {label!r} in {json.dumps(message['blocks'])}")


async def test_a_teams_offer_shows_a_markdown_link_in_its_notes_as_text(
    teams_rig: TeamsRig,
) -> None:
    card = teams_rig.card(await teams_rig.say(f"placement {OFFER}"))
    facts = teams_facts(card)
    assert teams_shows(facts["Place"]) == f"{PHISH} Ward 7"
    assert teams_shows(facts["Notes"]) == f"{PHISH} {MARKS}"
    assert_no_teams_markup(card)
    async with teams_rig.chat.bot.sessions() as session:
        offer = (await session.execute(select(PlacementOffer))).scalar_one()
    assert (offer.place_text, offer.notes) == (f"{PHISH} Ward 7", f"{PHISH} {MARKS}")


async def test_a_teams_answer_quoting_what_was_typed_shows_it_as_text(
    teams_rig: TeamsRig,
) -> None:
    body = await teams_rig.say(PHISH)
    assert not TEAMS_LINK.search(body["text"])
    assert f"“{PHISH}”" in teams_shows(body["text"])
    assert_no_teams_markup(teams_rig.card(body))


async def test_a_slack_offer_shows_formatting_marks_and_links_in_its_notes_as_text(
    slack_rig: SlackRig,
) -> None:
    typed = f"{OFFER} {SLACK_LINK}"
    # Slack escapes &, < and > in the command text it sends.
    await slack_rig.command(typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    [answer] = await slack_rig.slack.wait_for("response:r1")
    notes = slack_field(answer.body, "Notes")
    assert slack_shows(notes) == f"{PHISH} {MARKS} {SLACK_LINK}"
    for mark in "*_~`<>":
        assert mark not in slack_markup(notes), notes
    title = next(b for b in answer.body["blocks"] if b["type"] == "section")["text"]["text"]
    assert "<https://phish" not in title


async def test_hei_request_notes_and_cohorts_from_the_api_show_as_text(
    api: TestClient, bot: PlaceBot, chat: Chat
) -> None:
    offered = await chat.say(
        "stroke-physio", "placement offer PT 1 Feb - 12 Mar 2027 2 students at Ward 12"
    )
    ref = next(f.value for f in offered.facts if f.label == "Reference")
    secret = await make_token(bot, "University of Nottingham")
    asked = await api.post(
        f"/api/v1/placements/{ref}/requests",
        json={"students": 1, "note": f"{PHISH} *now*"},
        headers=bearer(secret),
    )
    assert asked.status == 201, await asked.text()
    block = {
        "profession": "PT",
        "cohort": f"{PHISH} _year 2_",
        "start_date": "2027-03-01",
        "end_date": "2027-04-09",
        "students": 3,
        "offers_close": "2027-01-15",
    }
    posted = await api.post("/api/v1/blocks", json=block, headers=bearer(secret))
    assert posted.status == 201, await posted.text()

    requests = await chat.say("stroke-physio", f"placement requests {ref}")
    card = teams.card(requests)
    assert teams_shows(teams_facts(card)["Note"]) == f"{PHISH} *now*"
    assert_no_teams_markup(card)
    note = slack_field(slack.message(requests), "Note")
    assert slack_shows(note) == f"{PHISH} *now*" and "*" not in slack_markup(note)

    blocks = await chat.say("stroke-physio", "placement blocks PT")
    [item] = [i for i in blocks.items if PHISH in i.title]
    card = teams.card(Reply(text="Blocks", items=(item,)))
    assert any(teams_shows(t) == item.title for t in teams_texts(card))
    assert_no_teams_markup(card)
    [title] = [
        b["text"]["text"]
        for b in slack.message_blocks(Reply(text="Blocks", items=(item,)))
        if "text" in b and PHISH in slack_shows(b["text"]["text"])
    ]
    assert title.startswith("*") and title.endswith("*")
    assert "_" not in slack_markup(title)


def test_the_cores_own_command_examples_stay_code_in_slack() -> None:
    reply = Reply(text="I didn't understand “*boo*”. Try `placement help` or `training OT`.")
    [section] = slack.message_blocks(reply)
    text = section["text"]["text"]
    assert "`placement help`" in text and "`training OT`" in text
    assert slack_shows(text) == reply.text and "*" not in slack_markup(text)


def test_slack_cuts_long_escaped_text_between_marks_never_inside_one() -> None:
    cut = mrkdwn.literal("*" * 200, 100)
    assert len(cut) <= 100 and cut.endswith("…")
    assert slack_markup(cut.removesuffix("…")) == ""


def test_email_escapes_html_and_links_only_safe_addresses() -> None:
    reply = Reply(
        text="New note: <b>bold</b> & <script>alert(1)</script>",
        items=(Item(title="<i>Ward</i>", facts=(Fact("Notes", PHISH),), text="a\nb"),),
    )
    page = email.html(reply)
    assert "<b>bold</b>" not in page and "<script>" not in page and "<i>Ward" not in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;" in page
    assert 'href="https://phish.example"' not in page


def test_a_name_typed_as_a_formula_is_exported_as_text(tmp_path: Path) -> None:
    formula = '=HYPERLINK("https://phish.example","Confirm")'
    book = Workbook()
    book.of(PEOPLE).append(Row(2, {"email": "jo@nuh.nhs.uk", "name": formula, "role": "clinician"}))
    write(book, tmp_path / "setup.xlsx")
    cell = load_workbook(tmp_path / "setup.xlsx")[PEOPLE.name]["B2"]
    assert (cell.value, cell.data_type) == (formula, "s")


def test_a_teams_proactive_message_shows_a_markdown_link_as_text() -> None:
    from adapters.teams import personal

    reply = Reply(text="Reminder for [Confirm](https://phish.example)")
    sent = personal.message({"conversation": {"id": "a:1"}}, reply)
    assert "[Confirm](https" not in sent["text"]
    assert "Confirm" in sent["text"]
