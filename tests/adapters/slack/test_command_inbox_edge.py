"""Under a burst the Slack edge keeps each command in the inbox and acknowledges it at once,
so the acknowledgement stays within Slack's 3 seconds however many arrive; the command is
worked from there and answered at its response_url, once. A command kept by a process that
died is worked by the next one. SQLite and PostgreSQL, the real bolt app, the fake Slack."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from urllib.parse import parse_qsl

from sqlalchemy import select

from adapters.slack import answers
from adapters.slack.app import SLACK_EDGE
from adapters.slack.inboxed import DIRECT_LIMIT, FORM_TOO_LATE, InboxedCommands
from bot.chat.inbox import LEASE, CommandInbox
from bot.kernel.clock import FixedClock
from storage.tables import PlacementOffer
from tests.support import slack_wire as wire
from tests.support.slack_rig import SlackRig

OFFER = "offer physio 1 Feb - 12 Mar 2027 2 students at Ward {n}, Kings Mill Hospital"


def inboxed(rig: SlackRig) -> InboxedCommands:
    return rig.client.app[SLACK_EDGE].inboxed


async def places_stored(rig: SlackRig) -> Counter[str]:
    async with rig.chat.bot.sessions() as session:
        return Counter((await session.scalars(select(PlacementOffer.place_text))).all())


async def inbox_empty(rig: SlackRig) -> None:
    inbox = inboxed(rig).runner.inbox
    async with asyncio.timeout(10):
        while await inbox.depth() != {"waiting": 0, "claimed": 0}:  # noqa: ASYNC110 (a row)
            await asyncio.sleep(0.02)


async def test_a_command_that_would_wait_is_kept_acknowledged_and_answered_later(
    slack_rig: SlackRig, clock: FixedClock
) -> None:
    commands = inboxed(slack_rig)
    commands.direct_in_hand = DIRECT_LIMIT  # as if four commands were being worked already
    response = await slack_rig.command(OFFER.format(n=1), key="kept")
    assert await response.read() == b""  # acknowledged at once, with no answer in it
    [answer] = await slack_rig.slack.wait_for("response:kept")
    assert answer.body["text"].endswith("is in the register.")
    assert await places_stored(slack_rig) == Counter({"Ward 1, Kings Mill Hospital": 1})
    await inbox_empty(slack_rig)
    await commands.replies.drain()
    clock.at += timedelta(seconds=11)
    assert await answers.resend_due(slack_rig.chat.bot) == 0  # recorded as given


async def test_a_burst_is_acknowledged_stored_once_and_answered_once_each(
    slack_rig: SlackRig,
) -> None:
    count = 40

    async def send(n: int) -> None:
        await slack_rig.command(OFFER.format(n=n), key=f"b{n}", trigger=f"t.{n}", user="U0001")

    await asyncio.gather(*(send(n) for n in range(count)))
    names = [f"response:b{n}" for n in range(count)]
    await slack_rig.slack.wait_until(lambda: all(slack_rig.slack.named(name) for name in names))
    stored = await places_stored(slack_rig)
    assert stored == Counter({f"Ward {n}, Kings Mill Hospital": 1 for n in range(count)})
    await inbox_empty(slack_rig)
    await inboxed(slack_rig).replies.drain()
    for name in names:
        [answer] = slack_rig.slack.named(name)
        assert answer.body["text"].endswith("is in the register."), answer.body
    assert inboxed(slack_rig).runner.backlog == 0


async def test_a_form_from_the_inbox_opens_while_its_trigger_lasts(slack_rig: SlackRig) -> None:
    inboxed(slack_rig).direct_in_hand = DIRECT_LIMIT
    await slack_rig.command("offer", key="form")
    [opened] = await slack_rig.slack.wait_for("views.open")
    assert opened.body["view"]["callback_id"] == "offer.create"
    await inboxed(slack_rig).replies.drain()
    assert not slack_rig.slack.named("response:form")


async def test_a_form_whose_trigger_ran_out_asks_for_the_command_again(
    slack_rig: SlackRig,
) -> None:
    inboxed(slack_rig).direct_in_hand = DIRECT_LIMIT
    slack_rig.slack.fail("views.open")  # as Slack refuses a trigger older than 3 seconds
    await slack_rig.command("offer", key="late-form")
    [answer] = await slack_rig.slack.wait_for("response:late-form")
    assert answer.body["text"] == FORM_TOO_LATE.text


async def test_a_command_kept_by_a_process_that_died_is_worked_when_its_lease_ends(
    slack_rig: SlackRig, clock: FixedClock
) -> None:
    body, _ = wire.slash_command(
        "/placement", OFFER.format(n=7), slack_rig.slack.response_url("left"), trigger="t.left"
    )
    died = CommandInbox(slack_rig.chat.bot.sessions, clock, "slack")  # another process's
    await died.keep([("slack:command:t.left", dict(parse_qsl(body)))])
    await died.claim(1)  # and it died holding the claim
    clock.at += LEASE + timedelta(seconds=1)
    [answer] = await slack_rig.slack.wait_for("response:left")  # found by the next poll
    assert answer.body["text"].endswith("is in the register.")
    await inbox_empty(slack_rig)
    assert await places_stored(slack_rig) == Counter({"Ward 7, Kings Mill Hospital": 1})
