"""What depends on where a set-up call comes from: who may make it, and how its commands are
typed there (`placebot role grant` on the command line, `admin role grant` in chat)."""

from __future__ import annotations

from bot.kernel.context import Context
from bot.kernel.errors import NotAllowed
from bot.people.directory import has_role

CHAT_PREFIX = "admin"


def require_faculty_lead(ctx: Context) -> None:
    """The command line acts for the operator (no person); a person must be a faculty lead."""
    if ctx.person is not None and not has_role(ctx.person, "faculty_lead"):
        raise NotAllowed(
            "Only AHP faculty leads can see or change the faculty's set-up (people's roles and "
            "targets). Ask your faculty lead if something needs changing."
        )


def typed(ctx: Context, words: str) -> str:
    """`words` (e.g. "role grant") as the person typing would write the whole command."""
    return f"{'placebot' if ctx.edge == 'cli' else CHAT_PREFIX} {words}"
