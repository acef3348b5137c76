"""What a set-up call did, and the one way each call stores and audits its change: add a new
record, update the fields that differ, or leave it alone (and write no audit event)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from bot.kernel import audit
from bot.kernel.context import Context
from storage.tables import Base

Record = TypeVar("Record", bound=Base)


class Outcome(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REMOVED = "removed"


@dataclass(frozen=True)
class Change:
    """One set-up change: what happened to which record, as the CLI prints it."""

    outcome: Outcome
    entity: str  # "HEI", "provider", "site", "team", "person", "role", "target"
    label: str  # how a person names the record: "University of Leeds (UKPRN 10007795)"
    detail: str = ""  # what changed, for updates: "name, professions"

    def line(self) -> str:
        said = f"{self.outcome.value.capitalize()} {self.entity} {self.label}"
        return f"{said}: {self.detail}." if self.detail else f"{said}."


def differences(record: Base, values: dict[str, Any]) -> list[str]:
    """The fields of `values` that differ from the record's, in the order given."""
    return [key for key, value in values.items() if getattr(record, key) != value]


async def settle(
    ctx: Context,
    existing: Record | None,
    new: Record,
    values: dict[str, Any],
    entity: str,
    ref: str,
) -> tuple[Record, Outcome, list[str]]:
    """Store `new` when there is no `existing` record, else update `existing` with `values`.

    `new` is built by the caller with `values` and whatever else a new record needs. The audit
    event names `entity` and `ref` (the natural key) and keeps the record before and after.
    """
    if existing is None:
        ctx.session.add(new)
        await ctx.session.flush()
        audit.record(ctx, f"{entity}.add", entity, ref, None, audit.snapshot(new))
        return new, Outcome.ADDED, []
    changed = differences(existing, values)
    if not changed:
        return existing, Outcome.UNCHANGED, []
    before = audit.snapshot(existing)
    for key in changed:
        setattr(existing, key, values[key])
    await ctx.session.flush()
    audit.record(ctx, f"{entity}.update", entity, ref, before, audit.snapshot(existing))
    return existing, Outcome.UPDATED, changed
