"""A mistyped command is quoted back whole and answered with the closest command to copy."""

from __future__ import annotations

import pytest

from bot.chat.suggest import quoted
from tests.support.chat import Chat


@pytest.mark.parametrize(
    ("words", "meant", "example"),
    [
        ("placment help", "`placement help`", "placement help"),
        (
            "placement ofer PT 1 Feb - 12 Mar 2027",
            "`placement offer PT 1 Feb - 12 Mar 2027`",
            "2 students",
        ),
        ("trainin OT", "`training OT`", "placement help"),
        ("nudges snoze 2w", "`nudges snooze 2w`", "nudges snooze 2w"),
        ("digest weekley", "`digest weekly`", "digest weekly"),
        ("admin peple", "`admin people`", "admin people RX1"),
        ("plcement mine", "`placement mine`", "placement help"),
    ],
)
async def test_a_typo_gets_the_closest_command(
    chat: Chat, words: str, meant: str, example: str
) -> None:
    reply = await chat.say("faculty-lead", words)
    assert reply.tone == "error" and reply.private
    assert f"“{words}”" in reply.text  # quoted whole
    assert f"Did you mean {meant}?" in reply.text, reply.text
    assert example in reply.text.split("For example:")[1]


async def test_nothing_close_lists_what_there_is(chat: Chat) -> None:
    reply = await chat.say("stroke-physio", "placement xyzzy")
    assert "Did you mean" not in reply.text
    assert "Try one of: help, offer, list" in reply.text


def test_a_long_quote_is_shortened_with_an_ellipsis_only_past_120_characters() -> None:
    exact = "w" * 120
    assert quoted(exact) == f"“{exact}”"
    longer = quoted("w" * 121)
    assert longer.endswith("…”") and len(longer) == 122
