"""What to type to do what a button does, for places where buttons cannot call back (email)."""

from __future__ import annotations

from bot.chat.actions import ACTIONS
from bot.kernel.messages import Button


def typed_command(button: Button) -> str | None:
    """The command with the same effect as pressing `button`, or None when there is none."""
    declared = ACTIONS.get(button.action)
    return declared.typed_for(button.value) if declared else None
