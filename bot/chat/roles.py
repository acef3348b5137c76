"""Who may press a button or type a command, declared beside its handler.

A declaration is the chat's first word on who may act, so a person without the role is told so
before anything is looked up. The service functions keep their own checks
(`bot.people.permissions`), because the register API and the jobs reach them without the chat.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.kernel.context import Context
from bot.kernel.errors import NotAllowed
from bot.kernel.messages import Reply
from bot.people.directory import has_role
from bot.people.permissions import require_any_role
from storage.tables import Person

Handler = Callable[[Context, str], Awaitable[Reply]]


@dataclass(frozen=True)
class Roles:
    """Any one of `any_of` may act; everyone the bot has met may when it is empty."""

    any_of: tuple[str, ...] = ()
    doing: str = ""  # for the standard refusal: "Only clinicians or coordinators can {doing}."
    refusal: str = ""  # said instead of the standard refusal, where a command has its own words
    example: str | None = None

    def __post_init__(self) -> None:
        if self.any_of and not (self.doing or self.refusal):
            raise ValueError(f"roles {self.any_of} need `doing` or `refusal` for the refusal")

    def check(self, person: Person) -> None:
        """Raises NotAllowed, with the polite message, when the person has none of the roles."""
        if not self.any_of or any(has_role(person, role) for role in self.any_of):
            return
        if self.refusal:
            raise NotAllowed(self.refusal, example=self.example)
        require_any_role(person, self.any_of, self.doing)


ANYONE = Roles()


def requires_any_role(
    *roles: str, doing: str = "", refusal: str = "", example: str | None = None
) -> Callable[[Handler], Handler]:
    """A command handler `(ctx, rest)` that first refuses people with none of `roles`."""
    rule = Roles(roles, doing, refusal, example)

    def declare(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(ctx: Context, rest: str) -> Reply:
            rule.check(ctx.require_person())
            return await handler(ctx, rest)

        return guarded

    return declare
