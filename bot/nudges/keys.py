"""The nudge's outbox dedupe key, `nudge:{person}:{date}`, and the LIKE patterns that find nudge
deliveries: written here once, so the scan that queues a nudge and the settlement and
withdrawal that look for it always agree on its shape."""

from __future__ import annotations

from datetime import date

ANY = "nudge:%"  # every nudge delivery, whoever it is to and whenever


def key(person_id: int, day: date) -> str:
    """The one delivery of a person's nudge on `day` (their local date)."""
    return f"nudge:{person_id}:{day.isoformat()}"


def on_day(day: date) -> str:
    """Every nudge delivery of `day`; with the recipient, exactly each one's `key`."""
    return f"nudge:%:{day.isoformat()}"
