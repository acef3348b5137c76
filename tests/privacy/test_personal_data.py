"""A person's data exported and erased, from the CLI and from chat, on both databases: the
export holds everything the tables hold about them; after erasure the register keeps the offers
they posted (confirmed by an HEI's request), credited to their team, and their email, name and
platform ids appear in no table and in no log line written after."""

from __future__ import annotations

import asyncio
import json
import logging
import shlex
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, String, Text, select, update

from adapters import cli
from bot.kernel.messages import Button
from bot.privacy.mentions import REPLACEMENT
from storage.tables import (
    AuditEvent,
    Base,
    Delivery,
    Identity,
    InboundReceipt,
    Organisation,
    Person,
    PlacementOffer,
    PlacementRequest,
    RoleGrant,
    Team,
)
from tests.conftest import NOW
from tests.support.builder import Builder
from tests.support.chat import Chat, button, fact
from tests.support.inbox import Inbox

EMAIL = "pt.leaving@nuh.example"
NAME = "Physiotherapist, Ward 12 (leaving)"
HANDLE = "leaving-physio"
SLACK_ID = "U0LEAVING9"
TEAMS_ID = "29:1leaving-teams-id"
OFFER = "placement offer PT 1 Mar - 19 Mar 2027 3 students at Ward 12 Orthopaedics"
SECRETS = (EMAIL, NAME, HANDLE, SLACK_ID, TEAMS_ID)
OURS = ("placebot", "bot.", "adapters.", "storage.", "config.")  # the project's loggers


async def ward_12(chat: Chat) -> tuple[Organisation, Team]:
    """The demo's Ward 12 Orthopaedics team and its trust."""
    async with chat.bot.sessions() as session:
        team = (
            await session.execute(select(Team).where(Team.name == "Ward 12 Orthopaedics"))
        ).scalar_one()
        organisation = await session.get(Organisation, team.organisation_id)
    assert organisation is not None
    return organisation, team


async def placebot(command: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The CLI run as `placebot COMMAND`: its exit code, what it printed and its errors."""
    code = await asyncio.to_thread(cli.main, shlex.split(command))
    printed = capsys.readouterr()
    return code, printed.out, printed.err


async def leaver(chat: Chat, build: Builder) -> Person:
    """A Ward 12 physiotherapist known on the local chat, Slack and Teams, with a work email."""
    organisation, team = await ward_12(chat)
    return await build.person(
        NAME, "clinician", organisation=organisation, team=team, professions=("PT",),
        handle=HANDLE, slack=SLACK_ID, teams=TEAMS_ID, email=EMAIL,
    )  # fmt: skip


async def confirmed_offer(chat: Chat) -> str:
    """Posted by the leaver, requested by an HEI lead, confirmed by the leaver."""
    ref = fact(await chat.say(HANDLE, OFFER), "Reference")
    asked = await chat.say("nottingham-lead", f"placement request {ref} 2 year 2 cohort")
    assert asked.tone == "success", asked.text
    done = await chat.say(HANDLE, f"placement confirm {ref}")
    assert done.tone == "success", done.text
    return ref


async def history(chat: Chat, build: Builder, inbox: Inbox) -> tuple[Person, str]:
    """The leaver with a confirmed offer, a role granted from chat (an audit event naming their
    email), messages delivered, and a receipt of one of their Slack button presses."""
    person = await leaver(chat, build)
    ref = await confirmed_offer(chat)
    granted = await chat.say("faculty-lead", f"admin role grant {EMAIL} coordinator RX1")
    assert granted.tone == "success", granted.text
    await inbox.deliver()
    async with chat.bot.sessions.begin() as session:
        session.add(
            InboundReceipt(
                key=f"slack:action:{SLACK_ID}:1700000000.1:offer.withdraw:{ref}",
                received_at=chat.bot.clock.now(),
                reply={"text": f"Withdraw {ref}? asked by {NAME}"},
            )
        )
    return person, ref


async def everything_stored(chat: Chat) -> list[tuple[str, str]]:
    """Every text and JSON value of every table, as (table, text)."""
    found = []
    async with chat.bot.sessions() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns:
                continue
            for row in (await session.execute(select(*columns))).all():
                for value in row:
                    if value is not None:
                        text = value if isinstance(value, str) else json.dumps(value)
                        found.append((table.name, text))
                        if not isinstance(value, str):
                            found.append((table.name, json.dumps(value, ensure_ascii=False)))
    return found


def naming(
    stored: list[tuple[str, str]], secrets: tuple[str, ...] = SECRETS
) -> list[tuple[str, str]]:
    return [(t, text) for t, text in stored if any(s.lower() in text.lower() for s in secrets)]


async def register(chat: Chat, ref: str) -> tuple[Any, ...]:
    async with chat.bot.sessions() as session:
        offer = (
            await session.execute(select(PlacementOffer).where(PlacementOffer.ref == ref))
        ).scalar_one()
        requests = (
            await session.execute(
                select(PlacementRequest.status, PlacementRequest.students).where(
                    PlacementRequest.offer_id == offer.id
                )
            )
        ).all()
        poster = await session.get(Person, offer.created_by_id)
        assert poster is not None
        return offer.status, offer.capacity, offer.team_id, [tuple(r) for r in requests], poster


async def test_the_cli_exports_then_erases_a_person_whose_offer_an_hei_confirmed(
    chat: Chat, build: Builder, inbox: Inbox, database_url: str,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture, tmp_path: Path,
) -> None:  # fmt: skip
    person, ref = await history(chat, build, inbox)
    status, capacity, team_id, requests, _poster = await register(chat, ref)
    assert (status, requests) == ("confirmed", [("confirmed", 2)])
    monkeypatch.setenv("DATABASE_URL", database_url)

    out = tmp_path / "export.json"
    code, said, err = await placebot(f"person export {EMAIL.upper()} -o {out}", capsys)
    assert code == 0, err
    assert said.startswith(f"Wrote {out}: ")
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["profile"]["email"] == EMAIL and document["profile"]["display_name"] == NAME
    assert document["profile"]["team"] == "Ward 12 Orthopaedics"
    assert {(i["platform"], i["external_id"]) for i in document["identities"]} == {
        ("local", HANDLE), ("slack", SLACK_ID), ("teams", TEAMS_ID),
    }  # fmt: skip
    assert {r["role"] for r in document["roles"]} == {"clinician", "coordinator"}
    assert [o["ref"] for o in document["offers_posted"]] == [ref]
    assert [r["status"] for r in document["requests_decided"]] == ["confirmed"]
    actions = {e["action"] for e in document["audit_events"]}
    assert {"offer.create", "request.confirm"} <= actions, actions
    assert document["deliveries"], "the messages sent to them"
    elsewhere = {m["table"] for m in document["mentioned_elsewhere"]}
    assert {"inbound_receipts", "audit_events"} <= elsewhere, elsewhere
    assert "nudge_state" in document and document["nudge_state"]["opted_out"] is False

    code, said, err = await placebot(f"person erase {EMAIL}", capsys)
    assert code == 0, err
    assert said.startswith(f"Would erase person {person.id}: ") and "add --yes" in said
    assert naming(await everything_stored(chat)), "a dry run changes nothing"

    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.DEBUG, logger="adapters")
    code, said, err = await placebot(f"person erase {EMAIL} --yes", capsys)
    assert code == 0, err
    assert said.startswith(f"Erased person {person.id}: ")
    assert not any(s.lower() in (said + err).lower() for s in SECRETS)
    assert naming(await everything_stored(chat)) == []

    after = await register(chat, ref)
    assert after[:4] == (status, capacity, team_id, requests)
    assert after[4].display_name == "Former member of Ward 12 Orthopaedics"
    assert after[4].email is None
    async with chat.bot.sessions() as session:
        assert (
            await session.execute(select(Identity).where(Identity.person_id == person.id))
        ).all() == []
        assert (
            await session.execute(select(RoleGrant).where(RoleGrant.person_id == person.id))
        ).all() == []
        erased = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "person.erase"))
        ).scalar_one()
        assert erased.edge == "cli" and erased.entity_ref == str(person.id)
        assert (
            await session.execute(select(AuditEvent).where(AuditEvent.actor_id == person.id))
        ).all() == []
        offer_made = (
            await session.execute(
                select(AuditEvent).where(
                    AuditEvent.action == "offer.create", AuditEvent.entity_ref == ref
                )
            )
        ).scalar_one()
        assert offer_made.actor_id is None, "the action stays, not the person"

    # What the project does next never names them: the jobs, the outbox, the register.
    for job in ("nudges", "digests-daily", "digests-weekly", "summary", "purge"):
        await inbox.run(job)
    code, said, err = await placebot("export placements", capsys)
    assert code == 0 and ref in said
    code, _again, err = await placebot(f"person export {EMAIL}", capsys)
    assert code == 2 and "No one with the work email" in err
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(OURS))
    assert logged and not any(s.lower() in logged.lower() for s in SECRETS), logged
    assert REPLACEMENT not in said


async def test_a_faculty_lead_exports_and_erases_from_chat_after_confirming(
    chat: Chat, build: Builder, inbox: Inbox
) -> None:
    person, ref = await history(chat, build, inbox)
    summary = await chat.say("faculty-lead", f"admin person export {EMAIL}")
    assert summary.tone == "info" and summary.private, summary.text
    assert fact(summary, "Offers posted") == "1" and fact(summary, "Identities") == "3"
    assert f"placebot person export {EMAIL}" in summary.text

    refused = await chat.say(HANDLE, f"admin person erase {EMAIL}")
    assert refused.tone == "error" and "faculty leads" in refused.text
    pressed_by_other = await chat.press(
        "nottingham-lead", Button("Yes, erase", "person.erase.confirm", str(person.id))
    )
    assert pressed_by_other.tone == "error"
    asked = await chat.say("faculty-lead", f"admin person erase {EMAIL}")
    assert "cannot be undone" in asked.text and "credited to their team (1 of them)" in asked.text
    kept = await chat.press("faculty-lead", button(asked, "Keep them"))
    assert kept.text == "Nothing was erased."
    assert naming(await everything_stored(chat))

    done = await chat.press("faculty-lead", button(asked, "Yes, erase"))
    assert done.tone == "success" and done.text.startswith(f"Erased person {person.id}: ")
    assert naming(await everything_stored(chat)) == []
    status, _capacity, _team, requests, poster = await register(chat, ref)
    assert (status, requests) == ("confirmed", [("confirmed", 2)])
    assert poster.display_name == "Former member of Ward 12 Orthopaedics"
    async with chat.bot.sessions() as session:
        erased = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "person.erase"))
        ).scalar_one()
    lead = await chat.say("faculty-lead", "admin people")
    assert erased.edge == "local" and erased.actor_id is not None
    assert not any(s.lower() in json.dumps(erased.after).lower() for s in SECRETS)
    assert NAME not in lead.text

    again = await chat.press("faculty-lead", button(asked, "Yes, erase"))
    assert again.text == "Nothing to erase: their data is already erased."
    assert naming(await everything_stored(chat)) == []


async def test_bad_input_is_explained_and_changes_nothing(chat: Chat, build: Builder) -> None:
    await leaver(chat, build)
    async with chat.bot.sessions.begin() as session:
        lead = (
            await session.execute(
                select(Identity.person_id).where(Identity.external_id == "faculty-lead")
            )
        ).scalar_one()
        await session.execute(
            update(Person).where(Person.id == lead).values(email="lead@nuh.example")
        )
    for pressed in (
        await chat.say("faculty-lead", "admin person erase lead@nuh.example"),
        await chat.press("faculty-lead", Button("Yes, erase", "person.erase.confirm", str(lead))),
    ):
        assert pressed.tone == "error" and "cannot erase yourself" in pressed.text
    for words, says in [
        ("admin person", "needs export or erase"),
        ("admin person erase", "Give one work email"),
        ("admin person export not-an-email", "is not an email address"),
        ("admin person erase nobody@nuh.example", "No one with the work email"),
        ("admin person erase someone@nuh.example extra", "Give one work email"),
    ]:
        reply = await chat.say("faculty-lead", words)
        assert reply.tone == "error" and says in reply.text, (words, reply.text)
    assert len(naming(await everything_stored(chat))) > 0


async def test_only_the_person_is_erased_not_a_namesake_nor_a_word_holding_their_name(
    chat: Chat, build: Builder
) -> None:
    erased = await build.person(
        "Physio", "clinician", handle="physio-one", email="physio.one@nuh.example"
    )
    namesake = await build.person(
        "Physio", "clinician", handle="physio-two", email="physio.two@nuh.example"
    )
    await build.delivery(namesake, "Physiotherapy notes: Physio asked to join Ward 12", "d1", "sent",
                         NOW)  # fmt: skip
    asked = await chat.say("faculty-lead", "admin person erase physio.one@nuh.example")
    done = await chat.press("faculty-lead", button(asked, "Yes, erase"))
    assert done.tone == "success", done.text
    async with chat.bot.sessions() as session:
        assert (await session.get(Person, namesake.id)).display_name == "Physio"  # type: ignore[union-attr]
        assert (await session.get(Person, erased.id)).display_name == "Former member (erased)"  # type: ignore[union-attr]
        [message] = (
            await session.execute(select(Delivery.message).where(Delivery.dedupe_key == "d1"))
        ).scalars()
        handles = set((await session.execute(select(Identity.external_id))).scalars())
    assert message["text"] == "Physiotherapy notes: [erased] asked to join Ward 12"
    assert "physio-two" in handles and "physio-one" not in handles
