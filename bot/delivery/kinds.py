"""What a message sent on PlaceBot's own schedule is, read from its outbox key's first part
(`digest:...`, `summary:...`, `nudge:...`), so each edge can label it for what it is: a digest
is not a reminder, and a faculty lead's weekly summary is neither."""

from __future__ import annotations

LABELS = {
    "digest": "Digest",
    "summary": "Weekly summary",
    "nudge": "Reminder",
    "paused": "Nudges paused",
    "request": "HEI request",
    "membership": "Team membership",
}
OTHER = "Message"
"""What an edge that must show a label shows for a key of no known kind."""


def label(key: str | None) -> str | None:
    """The label of the message sent under this outbox key; None for one of no known kind."""
    return LABELS.get((key or "").split(":", 1)[0])


def names_itself(text: str, kind_label: str) -> bool:
    """Whether `text` already says what the message is: every word of its label is in it."""
    words = set(text.lower().replace(".", " ").replace(":", " ").split())
    return all(word in words for word in kind_label.lower().split())
