"""The outbox through Slack: DMs with their delivery key, Slack's 429 slowing the channel, and a
repeated try after a failure that finds the message already there and posts nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.channel import DELIVERY_EVENT, SlackChannel
from bot.delivery import queue as outbox
from bot.delivery import sender as sending
from bot.delivery.pacing import Pacing
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Image, Reply
from config.settings import Settings
from tests.support.fakes.slack_api import FakeSlack
from tests.support.fanout import nudge, queue_fanout, slack_user
from tests.support.slack_rig import SlackOutboxRig, slack_outbox


async def test_a_delivery_is_a_dm_carrying_its_key_and_the_dm_is_opened_once(
    slack_outbox_rig: SlackOutboxRig,
) -> None:
    [person] = await queue_fanout(slack_outbox_rig.engine, 1, slack_outbox_rig.clock.now())
    await slack_outbox_rig.edge.send(person, nudge(1), "nudge:a")
    await slack_outbox_rig.edge.send(person, nudge(2), "nudge:b")
    assert len(slack_outbox_rig.slack.named("conversations.open")) == 1
    channel = f"D{slack_user(person)}"
    assert [m["metadata"] for m in slack_outbox_rig.slack.messages[channel]] == [
        {"event_type": DELIVERY_EVENT, "event_payload": {"key": key}}
        for key in ("nudge:a", "nudge:b")
    ]
    assert await slack_outbox_rig.edge.delivered(person, "nudge:b") is True
    assert await slack_outbox_rig.edge.delivered(person, "nudge:c") is False


async def test_slacks_429_comes_back_to_the_outbox_untried_again(
    slack_outbox_rig: SlackOutboxRig,
) -> None:
    [person] = await queue_fanout(slack_outbox_rig.engine, 1, slack_outbox_rig.clock.now())
    slack_outbox_rig.slack.rate_limit("chat.postMessage", retry_after=12)
    with pytest.raises(sending.RateLimited) as limited:
        await slack_outbox_rig.edge.send(person, nudge(1), "nudge:a")
    assert limited.value.retry_after == 12
    assert len(slack_outbox_rig.slack.named("429:chat.postMessage")) == 1
    assert (
        slack_outbox_rig.slack.named("chat.postMessage") == []
    )  # no retry of its own: the outbox decides


async def test_a_429_from_slack_puts_the_row_back_and_pauses_slack(
    slack_outbox_rig: SlackOutboxRig,
) -> None:
    people = await queue_fanout(slack_outbox_rig.engine, 3, slack_outbox_rig.clock.now())
    slack_outbox_rig.slack.rate_limit("chat.postMessage", retry_after=20)
    pacing = Pacing({"slack": 40})
    outcome = await slack_outbox_rig.sender(concurrency=1, pacing=pacing).run_once()
    assert (outcome.sent, outcome.retried, outcome.deferred) == (0, 1, 2)
    assert pacing.of("slack").rate == 20 and pacing.paused() == ["slack"]
    assert len(slack_outbox_rig.slack.named("chat.postMessage")) == 0
    assert {row.status for row in await slack_outbox_rig.rows()} == {"pending"}
    assert len(people) == 3


async def test_per_channel_limit_answers_429_for_a_second_post_to_the_same_dm(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    async with (
        FakeSlack(channel_rate=1) as slack,
        slack_outbox(slack, engine, settings, clock) as rig,
    ):
        [person] = await queue_fanout(engine, 1, clock.now())
        await rig.edge.send(person, nudge(1), "nudge:a")
        with pytest.raises(sending.RateLimited) as limited:
            await rig.edge.send(person, nudge(2), "nudge:b")
        assert limited.value.retry_after >= 1
        assert slack.limited == 1
        assert len(slack.messages[f"D{slack_user(person)}"]) == 1


async def test_a_slack_server_error_is_retried_later_without_a_second_message(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> None:
    async with FakeSlack(delay=0.5) as slack, slack_outbox(slack, engine, settings, clock) as rig:
        [person] = await queue_fanout(engine, 1, clock.now())
        # The post arrives but its answer never comes in time: the try is in doubt.
        sender = sending.Sender(rig.bot.sessions, {"slack": rig.edge}, clock, lease=outbox.LEASE)
        sender.send_timeout = timedelta(seconds=0.1)
        assert (await sender.run_once()).retried == 1
        [row] = await rig.rows()
        assert (row.status, row.maybe_sent) == ("pending", True)
        clock.at = row.next_attempt_at
        slack.delay = 0
        slack.fail("conversations.history", status=503)  # first the check meets a 503...
        assert (await sender.run_once()).retried == 1
        [row] = await rig.rows()
        assert (row.status, row.attempts, row.maybe_sent) == ("pending", 2, True)
        clock.at = row.next_attempt_at
        assert (await sender.run_once()).sent == 1  # ...then finds the message there
        [row] = await rig.rows()
        assert (row.status, row.attempts, row.maybe_sent) == ("sent", 3, False)
        assert len(slack.messages[f"D{slack_user(person)}"]) == 1
        assert len(slack.named("chat.postMessage")) == 1


async def test_a_fanout_looks_up_its_people_once_a_claim_and_opens_each_dm_once(
    slack_outbox_rig: SlackOutboxRig,
) -> None:
    people = await queue_fanout(slack_outbox_rig.engine, 30, slack_outbox_rig.clock.now())
    lookups: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "FROM identities" in statement:
            lookups.append(statement)

    event.listen(slack_outbox_rig.engine.sync_engine, "before_cursor_execute", count)
    try:
        outcome = await slack_outbox_rig.sender(batch=30).run_once()
    finally:
        event.remove(slack_outbox_rig.engine.sync_engine, "before_cursor_execute", count)
    assert outcome.sent == 30
    assert len(lookups) == 1
    assert len(slack_outbox_rig.slack.named("conversations.open")) == 30
    assert len(slack_outbox_rig.slack.named("chat.postMessage")) == 30
    assert {len(slack_outbox_rig.slack.messages[f"D{slack_user(p)}"]) for p in people} == {1}


async def test_a_chart_slack_refuses_never_costs_the_text(
    slack_outbox_rig: SlackOutboxRig,
) -> None:
    """A 429 on the upload posts nothing (the outbox tries the whole message later); any other
    refusal posts the text alone, saying the chart could not be attached."""
    from tests.support.images import ONE_PIXEL_PNG

    [person] = await queue_fanout(slack_outbox_rig.engine, 1, slack_outbox_rig.clock.now())
    chart = Image("Offers against targets", "PT: 12 of 39 offered", ONE_PIXEL_PNG)
    summary = Reply(text="Weekly placement summary", image=chart)
    slack_outbox_rig.slack.rate_limit("files.getUploadURLExternal", retry_after=1)
    with pytest.raises(sending.RateLimited):
        await slack_outbox_rig.edge.send(person, summary, "summary:1")
    assert slack_outbox_rig.slack.messages.get(f"D{slack_user(person)}", []) == []
    assert await slack_outbox_rig.edge.delivered(person, "summary:1") is False
    slack_outbox_rig.slack.fail("files.getUploadURLExternal", status=500)
    await slack_outbox_rig.edge.send(person, summary, "summary:1")
    [posted] = slack_outbox_rig.slack.named("chat.postMessage")
    assert posted.body["text"] == "Weekly placement summary"
    assert "image" not in [block["type"] for block in posted.body["blocks"]]
    assert "chart could not be attached" in json.dumps(posted.body["blocks"])
    assert await slack_outbox_rig.edge.delivered(person, "summary:1") is True


async def test_a_chart_goes_with_its_text_once_slack_has_processed_the_upload(
    slack_outbox_rig: SlackOutboxRig,
) -> None:
    from tests.support.images import ONE_PIXEL_PNG

    [person] = await queue_fanout(slack_outbox_rig.engine, 1, slack_outbox_rig.clock.now())
    chart = Image("Offers against targets", "PT: 12 of 39 offered", ONE_PIXEL_PNG)
    await slack_outbox_rig.edge.send(person, Reply(text="Summary", image=chart), "summary:2")
    assert len(slack_outbox_rig.slack.messages[f"D{slack_user(person)}"]) == 1
    [posted] = slack_outbox_rig.slack.named("chat.postMessage")
    assert [block["type"] for block in posted.body["blocks"]][:2] == ["section", "image"]


async def test_the_worker_sends_through_the_web_api_client_without_a_bolt_app(
    slack_outbox_rig: SlackOutboxRig,
) -> None:
    from adapters.worker import channels

    rig = slack_outbox_rig
    found = channels(rig.bot, rig.bot.settings)
    assert isinstance(found["slack"], SlackChannel)
    assert not hasattr(found["slack"], "app")
    await found["slack"].close()  # type: ignore[attr-defined]
