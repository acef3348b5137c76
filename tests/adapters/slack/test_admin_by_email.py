"""A faculty lead set up by work email grants a role from Slack the first time they speak there,
by `/admin` and by `/placement admin`; the manifest declares every slash command the app hears."""

from __future__ import annotations

import re

from sqlalchemy import select

from adapters.slack.app import COMMANDS
from bot.chat.placebot import PlaceBot
from storage.tables import AuditEvent, Organisation, Person, RoleGrant
from tests.support.builder import Builder
from tests.support.paths import ROOT
from tests.support.slack_rig import SlackRig

LEAD = "ahp.lead@faculty.example"
PHYSIO = "pt.stroke@nuh.example"


async def coordinator_grants(bot: PlaceBot) -> list[tuple[str, str | None]]:
    async with bot.sessions() as session:
        rows = await session.execute(
            select(Person.email, Organisation.ods_code)
            .join(RoleGrant, RoleGrant.person_id == Person.id)
            .outerjoin(Organisation, Organisation.id == RoleGrant.organisation_id)
            .where(RoleGrant.role == "coordinator", Person.email.is_not(None))
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_a_faculty_lead_added_by_email_grants_a_role_from_slack(
    slack_rig: SlackRig, bot: PlaceBot, build: Builder
) -> None:
    lead = await build.person("AHP faculty lead", "faculty_lead", email=LEAD, reachable=False)
    await build.person("Physiotherapist", "clinician", email=PHYSIO, reachable=False)
    slack_rig.slack.emails["U0AHPLEAD"] = LEAD

    grant = f"role grant <mailto:{PHYSIO}|{PHYSIO}> coordinator RX1"  # as Slack links an address
    await slack_rig.command(grant, key="r1", command="/admin", user="U0AHPLEAD", trigger="t1")
    [answer] = await slack_rig.slack.wait_for("response:r1")
    assert answer.body["response_type"] == "ephemeral"
    assert answer.body["text"] == (
        f"Granted: coordinator for {PHYSIO} at Nottingham University Hospitals NHS Trust."
    )
    assert await coordinator_grants(bot) == [(PHYSIO, "RX1")]
    async with bot.sessions() as session:
        event = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "role_grant.add"))
        ).scalar_one()
    assert (event.actor_id, event.edge, event.entity_ref) == (
        lead.id,
        "slack",
        f"{PHYSIO} coordinator RX1",
    )

    await slack_rig.command("admin people", key="r2", user="U0AHPLEAD", trigger="t2")
    [people] = await slack_rig.slack.wait_for("response:r2")
    assert people.body["text"].startswith("Who holds which role: 2 faculty leads, 2 coordinators")
    assert f"AHP faculty lead &lt;{LEAD}&gt;" in str(people.body["blocks"])


async def test_a_clinician_in_slack_is_refused_and_nothing_is_granted(
    slack_rig: SlackRig, bot: PlaceBot, build: Builder
) -> None:
    await build.person("Physiotherapist", "clinician", email=PHYSIO, reachable=False)
    slack_rig.slack.emails["U0PHYSIO"] = PHYSIO
    grant = f"role grant {PHYSIO} coordinator RX1"
    await slack_rig.command(grant, command="/admin", user="U0PHYSIO")
    [answer] = await slack_rig.slack.wait_for("response:r1")
    assert "Only AHP faculty leads can use admin commands" in answer.body["text"]
    assert await coordinator_grants(bot) == []


def test_the_manifest_declares_every_slash_command_the_app_listens_to() -> None:
    manifest = (ROOT / "adapters" / "slack" / "manifest.yml").read_text()
    declared = re.findall(r"^\s+- command: (/\S+)$", manifest, re.MULTILINE)
    assert sorted(declared) == sorted(COMMANDS)
    assert "/admin" in declared and "/digest" in declared
