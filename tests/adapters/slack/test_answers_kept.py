"""An answer is as durable as what it answers: a button's answer that did not reach its
response_url (Slack down for a moment, or the process stopped before sending) is kept with the
delivery's receipt and sent again, once, by the resend pass every web process runs; answers
already given, or older than a response_url's 30 minutes, are not. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from adapters.slack import answers
from adapters.slack.app import SLACK_EDGE
from bot.kernel.clock import FixedClock
from tests.support import slack_wire as wire
from tests.support.slack_rig import SlackRig, yes_withdraw

OFFER = "offer physio 1 Feb - 12 Mar 2027 2 students at Ward 12, Kings Mill Hospital"


async def press_withdraw(slack_rig: SlackRig, key: str) -> None:
    await slack_rig.command(OFFER)
    [answer] = await slack_rig.slack.wait_for("response:r1")
    withdraw = await yes_withdraw(slack_rig, answer.body)
    pressed = wire.block_action(
        withdraw["action_id"], withdraw["value"], slack_rig.slack.response_url(key)
    )
    assert (await slack_rig.post(pressed)).status == 200


async def test_a_button_answer_that_did_not_arrive_is_sent_again_once(
    slack_rig: SlackRig, clock: FixedClock
) -> None:
    slack_rig.slack.fail("response:press", status=500)
    await press_withdraw(slack_rig, "press")
    [refused] = await slack_rig.slack.wait_for("response:press:refused")
    assert "is withdrawn" in refused.body["text"]
    bot = slack_rig.chat.bot
    assert await answers.resend_due(bot) == 0  # not yet: it may still be in hand elsewhere
    clock.at += timedelta(seconds=11)
    assert await answers.resend_due(bot) == 1
    [again] = slack_rig.slack.named("response:press")
    assert again.body["text"] == refused.body["text"]
    assert await answers.resend_due(bot) == 0  # once


async def test_an_answer_given_is_not_sent_again(slack_rig: SlackRig, clock: FixedClock) -> None:
    await press_withdraw(slack_rig, "given")
    await slack_rig.slack.wait_for("response:given")
    await slack_rig.client.app[SLACK_EDGE].work.drain()  # and recorded as given
    clock.at += timedelta(seconds=11)
    assert await answers.resend_due(slack_rig.chat.bot) == 0  # the command's (in its ack) too
    assert len(slack_rig.slack.named("response:given")) == 1


async def test_an_answer_older_than_a_response_url_lasts_is_let_go(
    slack_rig: SlackRig, clock: FixedClock
) -> None:
    slack_rig.slack.fail("response:late", status=500)
    await press_withdraw(slack_rig, "late")
    await slack_rig.slack.wait_for("response:late:refused")
    clock.at += timedelta(minutes=31)
    assert await answers.resend_due(slack_rig.chat.bot) == 0
    assert slack_rig.slack.named("response:late") == []
