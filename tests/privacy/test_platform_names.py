"""Erasure finds a person by the names their platform shows, not only by the name set up for
them: a colleague who types a Slack handle (`@jo.bloggs`) or a Slack display name into an offer
has named them too. And a command they sent that no process has worked yet goes with them, so it
cannot later run as a stranger called [erased] or bring back what was erased."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import select

from bot.privacy.mentions import REPLACEMENT
from storage.tables import Identity, InboundCommand, PlacementOffer
from tests.privacy.test_personal_data import everything_stored, naming, placebot, ward_12
from tests.support import slack_wire as wire
from tests.support.builder import SLACK_TEAM, Builder
from tests.support.chat import Chat, button, fact
from tests.support.slack_rig import SlackRig

EMAIL = "jo.bloggs@nuh.example"
SET_UP_AS = "Joanne Bloggs"  # the name in the faculty's workbook
SLACK_ID = "U0JOBLOGGS"
HANDLE = "jo.bloggs"  # Slack's `name`, which a colleague types as @jo.bloggs
SHOWN_AS = "Jo B (Ward 12)"  # Slack's profile display name
SLACK_REAL_NAME = f"Clinician {SLACK_ID}"  # the fake Slack's real name for the user
OFFER = (
    "placement offer PT 1 Mar - 19 Mar 2027 2 students at Ward 12 Orthopaedics "
    f"educator @{HANDLE} notes ask {SHOWN_AS} about parking"
)


async def test_a_slack_handle_and_display_name_typed_by_a_colleague_are_erased_too(
    slack_rig: SlackRig, chat: Chat, build: Builder, database_url: str,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:  # fmt: skip
    organisation, team = await ward_12(chat)
    await build.person(SET_UP_AS, "clinician", organisation=organisation, team=team,
                       professions=("PT",), email=EMAIL, reachable=False)  # fmt: skip
    await build.person("Ward 12 lead", "clinician", organisation=organisation, team=team,
                       professions=("PT",), handle="ward12-lead")  # fmt: skip
    slack_rig.slack.emails[SLACK_ID] = EMAIL
    slack_rig.slack.handles[SLACK_ID] = HANDLE
    slack_rig.slack.display_names[SLACK_ID] = SHOWN_AS

    await slack_rig.command("help", user=SLACK_ID, user_name=HANDLE)  # met on Slack first
    await slack_rig.slack.wait_for("response:r1")
    async with chat.bot.sessions() as session:
        identity = (
            await session.execute(select(Identity).where(Identity.external_id == SLACK_ID))
        ).scalar_one()
    assert (identity.platform, identity.tenant) == ("slack", SLACK_TEAM)
    assert identity.names == [SLACK_REAL_NAME, HANDLE, SHOWN_AS]

    posted = await chat.say("ward12-lead", OFFER)
    ref = fact(posted, "Reference")
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = tmp_path / "export.json"
    code, _said, err = await placebot(f"person export {EMAIL} -o {out}", capsys)
    assert code == 0, err
    document = json.loads(out.read_text(encoding="utf-8"))
    [slack] = [i for i in document["identities"] if i["platform"] == "slack"]
    assert slack["names"] == [SLACK_REAL_NAME, HANDLE, SHOWN_AS]
    assert "placement_offers" in {m["table"] for m in document["mentioned_elsewhere"]}

    secrets = (EMAIL, SET_UP_AS, SLACK_ID, HANDLE, SHOWN_AS, SLACK_REAL_NAME)
    assert naming(await everything_stored(chat), secrets)
    code, said, err = await placebot(f"person erase {EMAIL} --yes", capsys)
    assert code == 0 and said.startswith("Erased person "), err
    assert naming(await everything_stored(chat), secrets) == []
    async with chat.bot.sessions() as session:
        offer = (
            await session.execute(select(PlacementOffer).where(PlacementOffer.ref == ref))
        ).scalar_one()
    assert offer.status == "offered" and offer.capacity == 2, "the register keeps the offer"
    assert offer.educator == f"@{REPLACEMENT}"
    assert offer.notes == f"ask {REPLACEMENT} about parking"


def kept_slash_command(text: str, user: str, user_name: str, trigger: str) -> dict[str, str]:
    """A slash command's body as the Slack edge keeps it in the inbox: the form Slack posts."""
    form, _type = wire.slash_command("/placement", text, "https://hooks.slack.test/r", user=user,
                                     trigger=trigger, user_name=user_name)  # fmt: skip
    return dict(parse_qsl(form))


async def test_a_command_they_sent_that_no_process_has_worked_yet_goes_with_them(
    chat: Chat, build: Builder
) -> None:
    organisation, team = await ward_12(chat)
    await build.person(SET_UP_AS, "clinician", organisation=organisation, team=team,
                       email=EMAIL, slack=SLACK_ID)  # fmt: skip
    theirs = kept_slash_command("placement list", SLACK_ID, HANDLE, "t-theirs")
    about_them = kept_slash_command(f"admin person export {EMAIL}", "U0AHPLEAD", "ahp.lead",
                                    "t-lead")  # fmt: skip
    async with chat.bot.sessions.begin() as session:
        for key, body in (("slack:command:t-theirs", theirs), ("slack:command:t-lead", about_them)):
            session.add(InboundCommand(key=key, edge="slack", body=body,
                                       received_at=chat.bot.clock.now()))  # fmt: skip

    asked = await chat.say("faculty-lead", f"admin person erase {EMAIL}")
    done = await chat.press("faculty-lead", button(asked, "Yes, erase"))
    assert done.tone == "success" and "1 commands not yet worked" in done.text, done.text

    async with chat.bot.sessions() as session:
        left = {
            row.key: row.body for row in (await session.execute(select(InboundCommand))).scalars()
        }
    assert set(left) == {"slack:command:t-lead"}, "their own command is gone, the lead's stays"
    assert left["slack:command:t-lead"]["text"] == f"admin person export {REPLACEMENT}"
    assert left["slack:command:t-lead"]["user_id"] == "U0AHPLEAD"
    assert naming(await everything_stored(chat), (EMAIL, SLACK_ID, HANDLE)) == []


async def test_someone_met_before_names_were_kept_gets_them_from_their_next_commands(
    slack_rig: SlackRig, chat: Chat, build: Builder
) -> None:
    organisation, team = await ward_12(chat)
    await build.person(SET_UP_AS, "clinician", organisation=organisation, team=team,
                       email=EMAIL, slack=SLACK_ID, reachable=False)  # fmt: skip

    async def names_after(key: str, user_name: str) -> list[str] | None:
        await slack_rig.command("help", key=key, user=SLACK_ID, user_name=user_name, trigger=key)
        await slack_rig.slack.wait_for(f"response:{key}")
        async with chat.bot.sessions() as session:
            return (
                await session.execute(
                    select(Identity.names).where(Identity.external_id == SLACK_ID)
                )
            ).scalar_one()

    assert await names_after("r1", HANDLE) == [HANDLE]
    assert await names_after("r2", HANDLE.upper()) == [HANDLE], "each name once"
    assert await names_after("r3", "joanne.b") == [HANDLE, "joanne.b"], "a changed handle"
    assert not [c for c in slack_rig.slack.calls if c.method == "users.info"], "known: no lookup"

    await chat.say("faculty-lead", "placement offer PT 1 Mar - 19 Mar 2027 2 students at Ward 12 "
                   "Orthopaedics notes ask @joanne.b or @jo.bloggs")  # fmt: skip
    asked = await chat.say("faculty-lead", f"admin person erase {EMAIL}")
    done = await chat.press("faculty-lead", button(asked, "Yes, erase"))
    assert done.tone == "success", done.text
    assert naming(await everything_stored(chat), (HANDLE, "joanne.b", SLACK_ID, EMAIL)) == []
