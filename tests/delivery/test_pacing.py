"""Per-channel pacing: the rates operators set, and how a platform's 429 slows a channel."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.delivery.pacing import Pacing
from config.settings import Settings, parse_rates


def test_send_rates_are_read_from_settings_and_bad_ones_say_how_to_fix_them() -> None:
    settings = Settings(_env_file=None, placebot_send_rates="slack=50, Teams=15,email=0.5")  # type: ignore[call-arg]
    assert settings.send_rates == {"slack": 50, "teams": 15, "email": 0.5}
    assert parse_rates("") == {}
    for bad in ("slack", "slack=fast", "slack=0", "=5", "slack=-1"):
        with pytest.raises(ValidationError, match=r"e\.g\. slack=50,teams=15"):
            Settings(_env_file=None, placebot_send_rates=bad)  # type: ignore[call-arg]


async def test_a_429_pauses_the_channel_and_halves_its_rate_once_per_episode() -> None:
    pacing = Pacing({"slack": 80})
    slack, local = pacing.of("slack"), pacing.of("local")
    slack.slow_down(5)
    slack.slow_down(5)  # a send already in flight meets the same limit: no second halving
    assert (slack.rate, slack.limited) == (40, 2)
    assert slack.pause_left() > 4 and pacing.paused() == ["slack"]
    assert local.rate is None and local.pause_left() == 0
    await local.wait()  # other channels go on


async def test_an_unpaced_channel_still_waits_out_a_429() -> None:
    pace = Pacing().of("local")
    pace.slow_down(0.01)
    assert pace.pause_left() > 0
    await pace.wait()
    assert pace.pause_left() == 0
