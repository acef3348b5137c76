"""The faculty lead sets up roles and targets from chat, through the same service as the CLI:
each change is stored, said and audited as the lead through the edge they spoke on; anyone else
is refused, and bad input is explained with an example, storing nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from adapters.slack import blocks as slack_blocks
from bot.chat.commands.admin import MAX_LISTED
from storage.tables import AuditEvent, Identity, Organisation, Person, RoleGrant, Target
from tests.support.builder import Builder
from tests.support.chat import Chat, fact

PHYSIO = "pt.ward12@nuh.example"
NUH = "Nottingham University Hospitals NHS Trust"


async def org(chat: Chat, code: str) -> Organisation:
    async with chat.bot.sessions() as session:
        return (
            await session.execute(select(Organisation).where(Organisation.ods_code == code))
        ).scalar_one()


async def physio(chat: Chat, build: Builder, organisation: str | None = "RX1") -> Person:
    """A clinician set up by work email, who speaks in the local chat as `new-physio`."""
    at = await org(chat, organisation) if organisation else None
    return await build.person(
        "Physiotherapist, new starter", "clinician", organisation=at, handle="new-physio",
        email=PHYSIO,
    )  # fmt: skip


async def grants(chat: Chat, email: str = PHYSIO) -> set[tuple[str, str | None]]:
    async with chat.bot.sessions() as session:
        rows = await session.execute(
            select(RoleGrant.role, Organisation.ods_code)
            .join(Person, Person.id == RoleGrant.person_id)
            .outerjoin(Organisation, Organisation.id == RoleGrant.organisation_id)
            .where(Person.email == email)
        )
        return {(role, code) for role, code in rows}


async def person_id(chat: Chat, key: str) -> int:
    async with chat.bot.sessions() as session:
        return (
            await session.execute(select(Identity.person_id).where(Identity.external_id == key))
        ).scalar_one()


async def audit(chat: Chat, since: int = 0) -> list[tuple[int | None, str, str, str]]:
    async with chat.bot.sessions() as session:
        rows = await session.execute(
            select(AuditEvent.actor_id, AuditEvent.edge, AuditEvent.action, AuditEvent.entity_ref)
            .where(AuditEvent.id > since)
            .order_by(AuditEvent.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def last_audit_id(chat: Chat) -> int:
    async with chat.bot.sessions() as session:
        return (await session.execute(select(func.max(AuditEvent.id)))).scalar_one() or 0


async def targets(chat: Chat) -> dict[tuple[str, str], tuple[int, int | None]]:
    async with chat.bot.sessions() as session:
        rows = (await session.execute(select(Target))).scalars()
        return {(t.profession, t.academic_year): (t.extra_placements, t.baseline) for t in rows}


async def stored(chat: Chat) -> tuple[int, ...]:
    return tuple([await chat.count(t) for t in (RoleGrant, Target, AuditEvent, Person, Identity)])


async def test_a_faculty_lead_grants_then_revokes_a_coordinator_role(
    chat: Chat, build: Builder
) -> None:
    await physio(chat, build)
    lead, since = await person_id(chat, "faculty-lead"), await last_audit_id(chat)

    reply = await chat.say("faculty-lead", f"admin role grant {PHYSIO.upper()} coordinator RX1")
    assert reply.tone == "success", reply.text
    assert reply.text == f"Granted: coordinator for {PHYSIO} at {NUH}."
    assert fact(reply, "Roles now") == f"coordinator at {NUH}; clinician at {NUH}"
    assert await grants(chat) == {("clinician", "RX1"), ("coordinator", "RX1")}

    again = await chat.say("faculty-lead", f"admin role grant {PHYSIO} coordinator {NUH}")
    assert again.tone == "info" and again.text.startswith("Nothing changed:"), again.text

    reply = await chat.say("faculty-lead", f"admin role revoke {PHYSIO} coordinator")
    assert reply.text == f"Revoked: coordinator for {PHYSIO} at {NUH}.", reply.text
    assert await grants(chat) == {("clinician", "RX1")}
    again = await chat.say("faculty-lead", f"admin role revoke {PHYSIO} coordinator")
    assert again.text == f"Nothing changed: coordinator for {PHYSIO} (not held).", again.text

    assert await audit(chat, since) == [
        (lead, "local", "role_grant.add", f"{PHYSIO} coordinator RX1"),
        (lead, "local", "role_grant.remove", f"{PHYSIO} coordinator RX1"),
    ]  # the unchanged grant and revoke wrote nothing


async def test_a_granted_role_holds_at_the_persons_next_word_and_goes_when_revoked(
    chat: Chat, build: Builder
) -> None:
    await physio(chat, build, organisation=None)
    refused = await chat.say("new-physio", "digest daily")  # warms the memory of people too
    assert refused.tone == "error" and "HEI placement leads" in refused.text

    granted = await chat.say("faculty-lead", f"admin role grant {PHYSIO} HEI lead 10007154")
    assert granted.text == f"Granted: hei_lead for {PHYSIO} at University of Nottingham."
    assert "daily, every working day" in (await chat.say("new-physio", "digest daily")).text

    await chat.say("faculty-lead", f"admin role revoke {PHYSIO} hei_lead University of Nottingham")
    assert await grants(chat) == {("clinician", None)}
    assert (await chat.say("new-physio", "digest weekly")).tone == "error"


async def test_a_target_is_set_then_updated_with_its_baseline(chat: Chat) -> None:
    lead, since = await person_id(chat, "faculty-lead"), await last_audit_id(chat)
    reply = await chat.say("faculty-lead", "admin target set physio 2027/28 39 baseline 120")
    assert reply.tone == "success"
    assert reply.text == "Target set: Physiotherapy (PT) 2027/28: 39 extra on a baseline of 120."
    assert (await targets(chat))[("PT", "2027/28")] == (39, 120)

    reply = await chat.say("faculty-lead", "admin target set PT 2027-28 45 --baseline 130")
    assert reply.text == (
        "Target updated (extra placements, baseline): "
        "Physiotherapy (PT) 2027/28: 45 extra on a baseline of 130."
    )
    kept = await chat.say("faculty-lead", "admin target set Physiotherapy 2027 45")
    assert kept.tone == "info" and kept.text.startswith("Nothing changed"), kept.text
    await chat.say("faculty-lead", "admin target set speech and language therapy 2027/28 7")
    after = await targets(chat)
    assert (after[("PT", "2027/28")], after[("SLT", "2027/28")]) == ((45, 130), (7, None))
    assert await audit(chat, since) == [
        (lead, "local", "target.add", "PT 2027/28"),
        (lead, "local", "target.update", "PT 2027/28"),
        (lead, "local", "target.add", "SLT 2027/28"),
    ]


@pytest.mark.parametrize("who", ["stroke-physio", "nuh-coordinator", "nottingham-lead"])
@pytest.mark.parametrize(
    "words",
    [
        "admin people",
        f"admin role grant {PHYSIO} coordinator RX1",
        f"admin role revoke {PHYSIO} clinician",
        "admin target set PT 2026/27 99 baseline 1",
        "admin",
    ],
)
async def test_anyone_but_a_faculty_lead_is_refused_and_nothing_changes(
    chat: Chat, build: Builder, who: str, words: str
) -> None:
    await physio(chat, build)
    before, targets_before = await stored(chat), await targets(chat)
    reply = await chat.say(who, words)
    assert reply.tone == "error" and reply.private
    assert "Only AHP faculty leads can use admin commands" in reply.text
    assert await stored(chat) == before
    assert await targets(chat) == targets_before
    assert await grants(chat) == {("clinician", "RX1")}


@pytest.mark.parametrize(
    ("words", "says", "example"),
    [
        ("admin role", "“admin role” needs grant or revoke", "admin role grant"),
        ("admin role give a@b.example coordinator", "“admin role give a@b.", "admin role grant"),
        ("admin role grant", "Give the person's work email", "admin role grant"),
        (f"admin role grant {PHYSIO}", f"Give the role for {PHYSIO}", "admin role grant"),
        ("admin role revoke", "Give the person's work email", "admin role revoke"),
        ("admin role grant jo-at-nuh coordinator RX1", "“jo-at-nuh” is not an email", "grant"),
        (
            "admin role grant nobody@nuh.example coordinator RX1",
            "No one has the email nobody@nuh.example",
            "admin role grant",
        ),
        (f"admin role grant {PHYSIO} boss RX1", "“boss” is not a role", "admin role grant"),
        (
            f"admin role grant {PHYSIO} coordinator 10007154",
            "University of Nottingham (UKPRN 10007154) is not a provider",
            "admin role grant",
        ),
        (
            f"admin role grant {PHYSIO} hei_lead",
            f"is not an HEI. An HEI lead acts for an HEI: name it, e.g. `admin role grant {PHYSIO}",
            "admin role grant",
        ),
        (
            f"admin role grant {PHYSIO} coordinator Nowhere General",
            "no organisation “Nowhere General”",
            "admin role grant",
        ),
        (f"admin role revoke {PHYSIO} boss", "“boss” is not a role", "admin role revoke"),
        ("admin target", "“admin target” needs set first", "admin target set"),
        ("admin target put PT 2026/27 3", "“admin target put PT", "admin target set"),
        ("admin target set", "needs the profession, the academic year", "admin target set"),
        ("admin target set PT 2026/27", "“admin target set PT 2026/27” needs", "target set"),
        ("admin target set astrology 2026/27 3", "profession “astrology”", "admin target set"),
        ("admin target set PT next 3", "“next” is not an academic year", "admin target set"),
        ("admin target set PT 2026/28 3", "write it as 2026/27", "admin target set"),
        ("admin target set PT 2026/27 lots", "“lots” is not a number of extra", "target set"),
        ("admin target set PT 2026/27 3 baseline -5", "“-5” is not a number of baseline", "set"),
        ("admin target set PT 2026/27 3 baseline", "understand “baseline” after", "target set"),
        ("admin target set PT 2026/27 3 please", "understand “please” after", "target set"),
        ("admin frobnicate", "I don't know “admin frobnicate”", "admin role grant"),
        ("admin people Nowhere General", "no organisation “Nowhere General”", "admin people"),
    ],
)
async def test_bad_input_is_quoted_with_an_example_and_nothing_changes(
    chat: Chat, build: Builder, words: str, says: str, example: str
) -> None:
    await physio(chat, build)
    before, targets_before = await stored(chat), await targets(chat)
    reply = await chat.say("faculty-lead", words)
    assert reply.tone == "error" and reply.private
    assert says in reply.text, reply.text
    assert "placebot role" not in reply.text  # chat's own spelling, not the command line's
    [_said, shown] = reply.text.split("\nFor example: ")
    assert example in shown and shown.startswith("admin "), shown
    assert await stored(chat) == before
    assert await targets(chat) == targets_before


async def test_a_revoke_at_two_organisations_asks_which_in_chat_words(
    chat: Chat, build: Builder
) -> None:
    await physio(chat, build)
    for code in ("RX1", "RHA"):
        await chat.say("faculty-lead", f"admin role grant {PHYSIO} coordinator {code}")
    before = await stored(chat)
    reply = await chat.say("faculty-lead", f"admin role revoke {PHYSIO} coordinator")
    assert "more than one organisation; say which: `admin role revoke" in reply.text
    assert await stored(chat) == before


async def test_people_lists_who_holds_which_role_and_counts_clinicians(
    chat: Chat, build: Builder
) -> None:
    await physio(chat, build)
    reply = await chat.say("faculty-lead", "admin people")
    assert reply.text == (
        "Who holds which role: 1 faculty lead, 1 coordinator, 2 HEI leads; "
        "4 clinicians (counted, not listed)."
    )
    assert [(item.title, item.text) for item in reply.items] == [
        ("AHP faculty lead (demo)", "Faculty lead for the whole faculty"),
        ("Practice education coordinator, NUH (demo)", f"Coordinator at {NUH} (RX1)"),
        ("Placement lead, Sheffield Hallam University (demo)",
         "HEI lead at Sheffield Hallam University (UKPRN 10005790)"),
        ("Placement lead, University of Nottingham (demo)",
         "HEI lead at University of Nottingham (UKPRN 10007154)"),
    ]  # fmt: skip
    await chat.say("faculty-lead", f"admin role grant {PHYSIO} coordinator RX1")
    at_nuh = await chat.say("faculty-lead", "admin people RX1")
    assert at_nuh.text.startswith(f"Who holds which role at {NUH}: 0 faculty leads, 2 coord")
    assert "3 clinicians" in at_nuh.text  # two demo physios and the new starter
    assert f"Physiotherapist, new starter <{PHYSIO}>" in [item.title for item in at_nuh.items]


async def test_a_long_list_of_people_is_cut_short_and_says_so(chat: Chat, build: Builder) -> None:
    nuh = await org(chat, "RX1")
    for n in range(MAX_LISTED + 5):
        await build.person(f"Coordinator {n:02d}", "coordinator", organisation=nuh, reachable=False)
    reply = await chat.say("faculty-lead", "admin people")
    assert f"{MAX_LISTED + 6} coordinators" in reply.text
    assert f"Showing the first {MAX_LISTED} of {MAX_LISTED + 9}; narrow with" in reply.text
    assert len(reply.items) == MAX_LISTED
    rendered = slack_blocks.message_blocks(reply)
    assert len(rendered) <= slack_blocks.MAX_BLOCKS
    assert "more than fits" not in str(rendered[-1])  # the core cut it, not the renderer


async def test_placement_admin_and_placement_digest_reach_their_commands(chat: Chat) -> None:
    """Slack's `/placement admin ...` (and `/placement digest ...`) arrive with the word first."""
    via_placement = await chat.say("faculty-lead", "placement admin people")
    assert via_placement == await chat.say("faculty-lead", "admin people")
    reply = await chat.say("nottingham-lead", "placement digest daily")
    assert "daily, every working day" in reply.text


async def test_help_names_the_admin_commands_and_joining_a_team(chat: Chat) -> None:
    labels = [f.label for f in (await chat.say("stroke-physio", "placement help")).facts]
    assert "placement join TEAM" in labels
    assert any(label.startswith("admin people | admin role grant|revoke") for label in labels)
    admin = await chat.say("faculty-lead", "admin help")
    assert [f.label for f in admin.facts] == [
        "admin people [ORG]",
        "admin role grant|revoke EMAIL ROLE [ORG]",
        "admin target set PROFESSION YEAR EXTRA [baseline N]",
        "admin person export|erase EMAIL",
    ]
    assert (await chat.say("faculty-lead", "admin")).facts == admin.facts
