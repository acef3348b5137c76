"""Audit events: every write records who, what, which record, when, through which edge."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import inspect

from bot.kernel.context import Context
from storage.tables import AuditEvent, Base


def snapshot(record: Base) -> dict[str, Any]:
    """The record's columns as JSON-safe values."""
    values: dict[str, Any] = {}
    for column in inspect(record).mapper.column_attrs:
        value = getattr(record, column.key)
        values[column.key] = (
            value.isoformat() if isinstance(value, date | datetime | time) else value
        )
    return values


def record(
    ctx: Context,
    action: str,
    entity: str,
    ref: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    ctx.session.add(
        AuditEvent(
            at=ctx.clock.now(),
            actor_id=ctx.actor_id,
            edge=ctx.edge,
            action=action,
            entity=entity,
            entity_ref=ref,
            before=before,
            after=after,
        )
    )
