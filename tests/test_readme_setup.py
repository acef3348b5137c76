"""The README's "Set up your faculty", run as written, from an empty database to the HEI lead's
first digest, on SQLite and PostgreSQL.

Every line of the section's ```sh blocks is run in order: `placebot` verbs through the console
script's own function (`cli.main`, in process), `export` lines into the environment, `curl`
against the server. The only exceptions are the lines in NOT_RUN, by exact text, each with what
the test does in its place; a new command that is neither run nor listed fails here. Settings
that name something outside the test (the database, Slack's Web API, the SMTP server) point at
the test's own; the rest are used as the README gives them. The workbook is filled in, as an
administrator would, with the same faculty as the README's one-at-a-time commands, which then
each say `Unchanged`. The section's ```text line is what a clinician types in Slack; then
Monday 08:00 comes, the worker's digest schedule runs, and the lead's mailbox gets the digest.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters import cli, cli_setup
from adapters.server import build_app
from adapters.worker import build_worker
from bot.kernel.clock import FixedClock
from bot.runtime.worker import Worker
from config.settings import Settings
from storage.engine import make_engine
from storage.tables import Organisation, Person, PlacementOffer
from tests.conftest import bearer
from tests.support import slack_wire as wire
from tests.support.chat import Chat
from tests.support.fakes.slack_api import FakeSlack
from tests.support.inbox import Inbox
from tests.support.mailbox import Mailbox, smtp_server
from tests.support.readme import Step, fill_in, find, readme_steps, setup_commands
from tests.support.slack_rig import slack_environment

# The section's commands that are not run as written, and what the test does instead.
NOT_RUN = {
    "placebot serve": "serves the app `placebot serve` builds (build_app) under a test client",
    "placebot worker": "builds the worker `placebot worker` runs (build_worker), then runs its "
    "digest schedule and its sender at Monday 08:00",
}
# Thursday afternoon the clinician posts; Monday 23 November 2026 at 08:05 in London (GMT) the
# worker finds the weekly digest slot of 08:00 due.
POSTED = datetime(2026, 11, 19, 14, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 23, 8, 5, tzinfo=UTC)
WEEK = "2026-W48"
CLINICIAN_SLACK_ID = "U05PHYSIO1"
STEPS = readme_steps()
SETUP = setup_commands(STEPS)


def teams_manifest(package: Path) -> Any:
    with zipfile.ZipFile(package) as archive:
        return json.loads(archive.read("manifest.json"))


@dataclass
class Walkthrough:
    """The run so far: what the README's steps made and what the test holds for later steps."""

    database_url: str
    clock: FixedClock
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch
    fakes: dict[str, str]  # settings naming a service outside the test: the test's own
    slack: FakeSlack
    mailbox: Mailbox
    workbook_applied: bool = False
    secret: str = ""
    client: TestClient | None = None
    worker: Worker | None = None
    printed: dict[str, str] = field(default_factory=dict)
    engines: list[AsyncEngine] = field(default_factory=list)

    async def run(self, step: Step) -> None:
        words = shlex.split(step.line)
        if step.line in NOT_RUN:
            await self.instead(step.line)
        elif words[0] == "export":
            self.export(words[1])
        elif words[0] == "placebot":
            await self.placebot(step.line, words[1:])
        elif words[0] == "curl":
            await self.curl(words)
        else:
            raise AssertionError(f"the test cannot run {step.line!r}: run it or list it in NOT_RUN")

    def export(self, assignment: str) -> None:
        name, _, value = assignment.partition("=")
        assert name.lower() in Settings.model_fields, f"{name} is not a PlaceBot setting"
        self.monkeypatch.setenv(name, self.fakes.get(name, value))

    async def placebot(self, line: str, argv: list[str]) -> None:
        code = await asyncio.to_thread(cli.main, argv)
        out, err = self.capsys.readouterr()
        assert code == 0, f"{line}\n{err}"
        self.printed[line] = out
        last = out.splitlines()[-1] if out else ""
        match argv[:2]:
            case ["setup", "template"]:
                await asyncio.to_thread(fill_in, Path(argv[2]), SETUP)
            case ["setup", "import"] if "--apply" in argv:
                assert last.startswith("Done: ") and " 0 updated, 0 unchanged" in last, out
                self.workbook_applied = True
            case ["setup", "import"]:  # the dry run: it lists, and stores nothing
                assert "Nothing was changed" in last and " 0 unchanged" in last, out
                assert await self.stored(select(func.count(Person.id))) == (0,)
            case [verb, *_] if verb in cli_setup.VERBS:
                expected = "Unchanged " if self.workbook_applied else "Added "
                assert out.startswith(expected) and out.count("\n") == 1, f"{line}\n{out}"
            case ["token", "create"]:
                self.secret = last
                assert self.secret.startswith("pbt_"), out
            case ["teams-package", "--host", host]:
                manifest = await asyncio.to_thread(teams_manifest, Path("placebot-teams.zip"))
                assert manifest["id"] == os.environ["MICROSOFT_APP_ID"]
                assert manifest["validDomains"] == [host]

    async def instead(self, line: str) -> None:
        settings = Settings()  # what the process would read: the environment as exported
        engine = make_engine(settings.database_url)
        self.engines.append(engine)
        if line == "placebot serve":
            self.client = TestClient(TestServer(build_app(settings, engine, self.clock)))
            await self.client.start_server()
        else:
            self.worker = build_worker(engine, settings, self.clock)

    async def curl(self, words: list[str]) -> None:
        assert self.client is not None, "curl before `placebot serve`"
        url = urlsplit(next(word for word in words if word.startswith("https://")))
        assert url.hostname == urlsplit(os.environ["PLACEBOT_PUBLIC_URL"]).hostname
        response = await self.client.get(url.path)
        assert response.status == 200, await response.text()

    async def stored(self, query: Any) -> Any:
        engine = make_engine(self.database_url)
        try:
            async with engine.connect() as connection:
                return (await connection.execute(query)).one()
        finally:
            await engine.dispose()

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()
        if self.worker is not None:
            for channel in self.worker.sender.channels.values():
                if close := getattr(channel, "close", None):
                    await close()
        for engine in self.engines:
            await engine.dispose()


@asynccontextmanager
async def walkthrough(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Walkthrough]:
    """A run on `url` with the Slack Web API and the SMTP server faked, in an environment that
    holds only what the README sets."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    with smtp_server() as (mailbox, port):
        async with FakeSlack() as slack:
            fakes = {"DATABASE_URL": url, "SMTP_URL": f"smtp://127.0.0.1:{port}"}
            fakes |= slack_environment(slack)
            monkeypatch.setenv("SLACK_API_URL", fakes.pop("SLACK_API_URL"))
            run = Walkthrough(
                url, FixedClock(at=POSTED), capsys, monkeypatch, fakes, slack, mailbox
            )
            try:
                yield run
            finally:
                await run.close()


async def test_the_readme_sets_up_a_faculty_and_sends_the_hei_lead_a_first_digest(
    empty_database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    ran = {step.line for step in STEPS}
    assert set(NOT_RUN) <= ran, f"NOT_RUN lists lines the README lacks: {set(NOT_RUN) - ran}"
    [offer_at] = [at for at, step in enumerate(STEPS) if step.kind == "text"]
    clinician = find(SETUP, "person", role=None)
    lead = find(SETUP, "person", role="hei_lead")
    hei = find(SETUP, "org", kind="hei", ukprn=lead.organisation)

    async with walkthrough(empty_database_url, capsys, monkeypatch) as run:
        # Steps 1 to 5, as written.
        for step in STEPS[:offer_at]:
            await run.run(step)
        assert run.client is not None and run.worker is not None and run.secret

        # Step 6: the clinician types the README's line in Slack, from the workspace the
        # README lets in; Slack's profile shows the work email they were set up with.
        run.slack.emails[CLINICIAN_SLACK_ID] = clinician.email.upper()
        command, text = STEPS[offer_at].line.split(" ", 1)
        workspace = min(Settings().slack_team_ids)
        body, kind = wire.slash_command(
            command, text, run.slack.response_url("offer"), user=CLINICIAN_SLACK_ID, team=workspace
        )
        headers = {"Content-Type": kind, **wire.signed_headers(body)}
        response = await run.client.post("/slack/events", data=body.encode(), headers=headers)
        assert response.status == 200
        await run.slack.acknowledged(body, response.status, await response.json())  # shown
        [answer] = await run.slack.wait_for("response:offer")
        [ref] = re.findall(r"PL-\d{4}-\d{4}", answer.body["text"])
        by = await run.stored(
            select(Person.email, Person.display_name)
            .join(PlacementOffer, PlacementOffer.created_by_id == Person.id)
            .where(PlacementOffer.ref == ref)
        )
        assert tuple(by) == (clinician.email, clinician.name)  # not a stranger: the set-up person
        # The HEI pulls the register with the token of step 4 and sees the offer at once.
        pulled = await run.client.get("/api/v1/placements", headers=bearer(run.secret))
        assert [item["ref"] for item in (await pulled.json())["items"]] == [ref]

        # Step 7: Monday 08:00. The worker runs the weekly digest slot and sends what it queued.
        run.clock.at = MONDAY
        [weekly] = [s for s in run.worker.schedules if s.name == "digests-weekly"]
        assert await run.worker.run_schedule(weekly) == (
            "1 weekly digests queued, 0 with nothing new, 0 unreachable"
        )
        while (await run.worker.sender.run_once()).claimed:
            pass
        [email] = run.mailbox.messages  # the lead has not spoken to PlaceBot: by email
        assert [to.addr_spec for to in email["To"].addresses] == [lead.email]
        assert email["From"] == os.environ["PLACEBOT_EMAIL_FROM"]
        digest = email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert f"Placement digest for {hei.name}. 1 offer changed for PT" in digest, digest
        assert f"{ref} · PT · Stroke Rehab" in digest, digest
        changes = re.search(rf"{os.environ['PLACEBOT_PUBLIC_URL']}(/report/\S+)", digest)
        assert changes is not None, digest  # the lead's own signed link to these changes
        pulled_csv = await run.client.get(changes.group(1))
        assert ref in await pulled_csv.text()
        assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert f"<{os.environ['PLACEBOT_PUBLIC_URL']}/unsubscribe?t=" in email["List-Unsubscribe"]

        for step in STEPS[offer_at + 1 :]:
            await run.run(step)
        [hei_id] = await run.stored(select(Organisation.id).where(Organisation.ukprn == hei.ukprn))
        [lead_id] = await run.stored(select(Person.id).where(Person.email == lead.email))
        assert "placebot deliveries" in run.printed, "step 7 lists the outbox"
        [listed] = run.printed["placebot deliveries"].splitlines()
        assert re.search(
            rf" sent +email +person {lead_id} .* digest:{hei_id}:{lead_id}:{WEEK}$", listed
        )


async def test_digest_now_sends_the_lead_a_digest_at_once(chat: Chat, inbox: Inbox) -> None:
    reply = await chat.say("nottingham-lead", "digest now")
    assert reply.tone != "error", reply.text
    [digest] = await inbox.deliver()
    assert digest.text.startswith("Placement digest for University of Nottingham.")
