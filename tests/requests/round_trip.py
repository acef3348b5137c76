"""What the Slack and Teams round trips share: the HEI's side through the register API, one pass
of the worker's own sender, and the fixtures that make a round with and without a release delay.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.worker import build_worker
from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from bot.kernel.jobs import JobContext
from bot.runtime import housekeeping
from config.settings import Settings
from tests.conftest import bearer, make_token


@dataclass
class Round:
    client: TestClient
    bot: PlaceBot
    settings: Settings
    engine: AsyncEngine
    clock: FixedClock

    def check_channels(self, channels: Mapping[str, Any]) -> None:
        """A platform's round checks that the worker sends through its real channel."""

    async def deliver(self) -> int:
        """One pass of the worker's sender, with the channels the worker would have."""
        worker = build_worker(self.engine, self.settings, self.clock)
        try:
            outcome = await worker.sender.run_once()
        finally:
            for channel in worker.sender.channels.values():
                if close := getattr(channel, "close", None):
                    await close()
        self.check_channels(worker.sender.channels)
        assert outcome.failed == 0 and outcome.retried == 0, outcome
        return outcome.sent

    async def hei_asks(self, hei: str, ref: str, students: int) -> tuple[str, dict[str, Any]]:
        """The HEI asks through the register API; past release, its request awaits the poster
        (`pending`). Before release it is held, nothing is told, and at release it is settled
        as the web process does once a minute. The HEI's token and its request."""
        secret = await make_token(self.bot, hei)
        asked = await self.client.post(
            f"/api/v1/placements/{ref}/requests",
            json={"students": students, "note": "two year-2 students"},
            headers=bearer(secret),
        )
        assert asked.status == 201, await asked.text()
        delay = self.settings.placebot_release_delay_hours
        assert (await asked.json())["status"] == ("held" if delay else "pending")
        if delay:
            assert await self.deliver() == 0
            self.clock.at += timedelta(hours=delay, minutes=1)
            await housekeeping.tidy(JobContext(self.bot.sessions, self.clock, self.settings))
        [mine] = await self.requests(secret, ref)
        assert mine["status"] == "pending"
        return secret, mine

    async def requests(self, secret: str, ref: str) -> list[dict[str, Any]]:
        """The HEI's requests on an offer, as the register API shows them."""
        response = await self.client.get(
            f"/api/v1/placements/{ref}/requests", headers=bearer(secret)
        )
        assert response.status == 200
        return (await response.json())["items"]


RoundT = TypeVar("RoundT", bound=Round)
Rig = Callable[
    [PlaceBot, AsyncEngine, Settings, FixedClock, int], AbstractAsyncContextManager[RoundT]
]


def round_fixtures(rig: Rig[RoundT]) -> tuple[Any, Any]:
    """`round_trip` (released at once, and held until a release 24 hours on) and `released`."""

    @pytest.fixture(name="round_trip", params=[0, 24], ids=["released", "held-until-release"])
    async def round_trip(
        request: pytest.FixtureRequest,
        bot: PlaceBot,
        engine: AsyncEngine,
        settings: Settings,
        clock: FixedClock,
    ) -> AsyncIterator[RoundT]:
        async with rig(bot, engine, settings, clock, request.param) as found:
            yield found

    @pytest.fixture(name="released")
    async def released(
        bot: PlaceBot, engine: AsyncEngine, settings: Settings, clock: FixedClock
    ) -> AsyncIterator[RoundT]:
        async with rig(bot, engine, settings, clock, 0) as found:
            yield found

    return round_trip, released
