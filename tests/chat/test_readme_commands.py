"""Every command the README's command table lists reaches its handler on each platform: as a
Slack slash command (through slack-bolt, under the manifest's own commands), as a Teams message
(through botbuilder) and in the local chat (through its HTTP route).

Reached means answered by the command itself: an answer, or a polite refusal (not yours, not
found, not allowed), never "I didn't understand", "I don't know" or the internal-error reply.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from adapters.server import build_app
from adapters.slack.app import COMMANDS
from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from config.settings import Settings
from storage.engine import make_engine
from tests.support.slack_rig import SlackRig
from tests.support.teams_rig import TeamsRig

ROOT = Path(__file__).parents[2]
GROUPS = ("placement", "training", "nudges", "digest", "admin", "summary")
UNREACHED = ("I didn't understand", "I don't know “", "something went wrong on our side")
_CODE = re.compile(r"`([^`]+)`")
_PLACEHOLDER = re.compile(r"\b[A-Z]{2,}\b|\.\.\.|\|")


def readme_table() -> list[tuple[str, str]]:
    """The command table's rows as (command cell, example cell)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("| command | example |")
    rows = []
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        rows.append((cells[0], cells[1]))
    return rows


def concrete(command: str) -> list[str]:
    """A command cell as typed: optional parts left out, `a / b / c` choices each on their own;
    none when a placeholder (REF, PROFESSION, ...) remains."""
    command = re.sub(r"\s*\[[^\]]*\]", "", command).strip()
    if choices := re.fullmatch(r"(\w+) (\w+(?: / \w+(?: \w+)?)+)", command):
        return [f"{choices.group(1)} {choice.strip()}" for choice in choices.group(2).split("/")]
    return [] if _PLACEHOLDER.search(command) else [command]


def readme_commands() -> list[str]:
    found: list[str] = []
    for command_cell, example_cell in readme_table():
        for command in _CODE.findall(command_cell):
            found += concrete(command)
        found += [e for e in _CODE.findall(example_cell) if e.split(" ", 1)[0] in GROUPS]
    return list(dict.fromkeys(found))


COMMANDS_IN_README = readme_commands()


def test_the_table_is_read_whole() -> None:
    """The parse itself: if the table's shape changes, this says so rather than testing less."""
    assert len(readme_table()) >= 20
    for expected in (
        "placement help",
        "placement mine",
        "placement edit PL-2027-0042 capacity 3",
        "training OT next 8 weeks",
        "nudges snooze until 12 Jan",
        "digest weekly",
        "digest status",
        "admin people",
        "admin target set PT 2026/27 39 baseline 120",
    ):
        assert expected in COMMANDS_IN_README
    assert {c.split(" ", 1)[0] for c in COMMANDS_IN_README} == set(GROUPS)


def test_the_slack_manifest_registers_every_group_as_a_slash_command() -> None:
    manifest = yaml.safe_load((ROOT / "adapters/slack/manifest.yml").read_text())
    registered = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert registered == {f"/{group}" for group in GROUPS} == set(COMMANDS)


def reached(text: str) -> bool:
    return bool(text) and not any(words in text for words in UNREACHED)


async def test_slack_reaches_each_command(slack_rig: SlackRig) -> None:
    slack = slack_rig.slack
    unreached = {}
    for n, words in enumerate(COMMANDS_IN_README):
        group, _, rest = words.partition(" ")
        await slack_rig.command(rest, key=f"c{n}", command=f"/{group}", trigger=f"t.{n}")

        def answers(n: int = n) -> list[str]:  # in the conversation, or a form as a modal
            said = [call.body.get("text", "") for call in slack.named(f"response:c{n}")]
            forms = [c for c in slack.named("views.open") if c.body["trigger_id"] == f"t.{n}"]
            return said + [str(form.body.get("view")) for form in forms]

        await slack.wait_until(lambda: bool(answers()))
        if not all(reached(text) for text in answers()):
            unreached[words] = answers()
    assert unreached == {}


async def test_teams_reaches_each_command(teams_rig: TeamsRig) -> None:
    unreached = {}
    for words in COMMANDS_IN_README:
        sent = await teams_rig.say(words)
        shown = str(sent.get("text") or "") + str(sent.get("attachments") or "")
        if not reached(shown):
            unreached[words] = shown[:300]
    assert unreached == {}


@pytest.fixture
async def local_chat(
    bot: PlaceBot, settings: Settings, clock: FixedClock
) -> AsyncIterator[TestClient]:
    configured = settings.model_copy(update={"placebot_local_chat": True})
    app = build_app(configured, make_engine(settings.database_url), clock)
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_the_local_chat_reaches_each_command(local_chat: TestClient) -> None:
    unreached = {}
    for words in COMMANDS_IN_README:
        response = await local_chat.post(
            "/local/send", json={"user": "faculty-lead", "text": words}
        )
        assert response.status == 200, words
        if not reached(text := (await response.json())["text"]):
            unreached[words] = text
    assert unreached == {}
