"""What to type to do what a button does, for places where buttons cannot call back (email)."""

from __future__ import annotations

from bot.kernel.messages import Button


def typed_command(button: Button) -> str | None:
    """The command with the same effect as pressing `button`, or None when there is none."""
    ref = button.value.split(":", 1)[0].strip()  # offer buttons carry "REF:version"
    match button.action:
        case "offer.withdraw":
            return f"placement withdraw {ref}"
        case "offer.edit":
            return f"placement edit {ref}"
        case "offer.confirm":
            return f"placement confirm {button.value}".strip()
        case "offer.decline":
            return f"placement decline {button.value}".strip()
        case "offer.form":
            return "placement offer"
        case "block.offer":
            return f"placement offer ... block {ref}"
        case "block.maybe":
            return f"placement maybe {ref}"
        case "block.none":
            return f"placement none {ref}"
        case "nudges.snooze":
            return f"nudges snooze {button.value or '2w'}"
        case "home":
            return "placement mine"
    return None
