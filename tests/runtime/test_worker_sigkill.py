"""A worker killed with SIGKILL in the middle of a fan-out, and another started after it: every
recipient ends up with exactly one message (PostgreSQL, real `placebot worker` processes, the
fake Slack Web API on loopback)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from storage.engine import make_engine
from tests.conftest import truncate_all
from tests.support.fakes.slack_api import FakeSlack
from tests.support.fanout import queue_fanout, slack_user, statuses
from tests.support.paths import ROOT
from tests.support.slack_rig import slack_environment

PEOPLE = 200
LEASE_SECONDS = 3
# Generous guards against a hung run on a busy machine; nothing asserts how long it took.
GUARD_SECONDS = 300


async def start_worker(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "adapters.cli",
            "worker",
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )


async def test_a_worker_killed_mid_fanout_and_restarted_sends_each_message_once(
    postgres_url: str, tmp_path: Path
) -> None:
    await truncate_all(postgres_url)
    engine = make_engine(postgres_url)
    try:
        people = await queue_fanout(engine, PEOPLE, datetime.now(UTC))
    finally:
        await engine.dispose()
    log = tmp_path / "workers.log"
    async with FakeSlack(delay=0.05) as slack:
        env = os.environ | {
            "DATABASE_URL": postgres_url,
            **slack_environment(slack),
            "PLACEBOT_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
            "PLACEBOT_OUTBOX_POLL_SECONDS": "0.2",
            "PLACEBOT_SEND_RATES": "slack=40",
            "PLACEBOT_SCHEDULE_GRACE_HOURS": "0.001",  # no catch-up runs of the schedules
            "PYTHONUNBUFFERED": "1",
        }

        def arrived() -> int:
            return sum(len(messages) for messages in slack.messages.values())

        first = await start_worker(env, log)
        try:
            async with asyncio.timeout(GUARD_SECONDS):
                while arrived() < PEOPLE // 5:
                    assert first.returncode is None, log.read_text()
                    await asyncio.sleep(0.02)
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        at_kill = arrived()
        assert PEOPLE // 5 <= at_kill < PEOPLE, "the fan-out was not in progress"
        assert (await statuses(postgres_url)).get("sending", 0) > 0  # rows it held, unrecorded

        second = await start_worker(env, log)
        try:
            async with asyncio.timeout(GUARD_SECONDS):
                while await statuses(postgres_url) != {"sent": PEOPLE}:
                    assert second.returncode is None, log.read_text()
                    await asyncio.sleep(0.2)
        finally:
            second.terminate()
            await second.wait()

        per_person = {person: len(slack.messages[f"D{slack_user(person)}"]) for person in people}
        assert set(per_person.values()) == {1}, {p: n for p, n in per_person.items() if n != 1}
        assert arrived() == PEOPLE
        # The rows the dead worker held were checked in the DM's history before any resend.
        assert slack.named("conversations.history")
