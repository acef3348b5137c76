"""The set-up service keeps its own check: a person reaching it by any path must be a faculty
lead (the command line, which acts for the operator, names no person)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.chat.placebot import PlaceBot
from bot.faculty import holders, people, roles, targets
from bot.kernel.context import Context
from bot.kernel.errors import NotAllowed, UserError
from bot.kernel.messages import Actor
from bot.people import directory

CALLS: list[tuple[Callable[..., Awaitable[Any]], tuple[Any, ...]]] = [
    (roles.grant_role, ("nobody@nuh.example", "coordinator", "RX1")),
    (roles.revoke_role, ("nobody@nuh.example", "coordinator")),
    (targets.set_target, ("PT", "2027/28", 10)),
    (holders.role_holders, ()),
]


async def as_person(
    bot: PlaceBot, key: str, call: Callable[..., Awaitable[Any]], *args: Any
) -> Any:
    async with bot.sessions.begin() as session:
        person = await directory.find_person(session, Actor("local", key))
        return await call(Context(session, person, bot.clock, bot.settings, "local"), *args)


@pytest.mark.parametrize(("call", "args"), CALLS)
@pytest.mark.parametrize("who", ["stroke-physio", "nuh-coordinator"])
async def test_a_person_who_is_not_a_faculty_lead_is_refused_by_the_service(
    bot: PlaceBot, who: str, call: Callable[..., Awaitable[Any]], args: tuple[Any, ...]
) -> None:
    with pytest.raises(NotAllowed) as refused:
        await as_person(bot, who, call, *args)
    assert "Only AHP faculty leads can see or change the faculty's set-up" in refused.value.message


async def test_a_faculty_lead_and_the_command_line_pass_the_check(bot: PlaceBot) -> None:
    added = await as_person(bot, "faculty-lead", targets.set_target, "PT", "2027/28", 10)
    assert added.label == "Physiotherapy (PT) 2027/28: 10 extra"
    async with bot.sessions.begin() as session:
        ctx = Context(session, None, bot.clock, bot.settings, "cli")
        assert (await holders.role_holders(ctx)).count("faculty_lead") == 1
        await people.add_person(ctx, "pt@nowhere.example", "Physiotherapist")
        with pytest.raises(UserError) as refused:  # the example as the command line types it
            await roles.grant_role(ctx, "pt@nowhere.example", "coordinator")
        assert "e.g. `placebot role grant pt@nowhere.example coordinator ORG`" in (
            refused.value.message
        )
