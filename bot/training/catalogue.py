"""The training catalogue: find upcoming educator training, add events, import calendars."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, bindparam, func, or_, select

from bot.kernel import audit, professions
from bot.kernel.context import Context
from bot.people.permissions import require_any_role
from bot.training.events import TrainingData
from storage.tables import Organisation, TrainingEvent

_COPIED = (
    "title",
    "organiser",
    "starts_at",
    "ends_at",
    "mode",
    "location",
    "booking",
    "booking_note",
    "capacity",
    "resources",
)


@dataclass(frozen=True)
class TrainingQuery:
    profession: str | None = None
    organiser: str | None = None
    weeks: int | None = None
    limit: int = 15
    until: datetime | None = None  # an explicit horizon ("next month"); `weeks` is the other way
    offset: int = 0


@cache
def _filtered(profession: bool, organiser: bool, until: bool) -> Select[Any]:
    """Built once per shape of query: building a statement costs more CPU than running it."""
    statement = select(TrainingEvent).where(TrainingEvent.ends_at >= bindparam("now"))
    if profession:
        statement = statement.where(
            or_(
                TrainingEvent.professions == "",
                TrainingEvent.professions.like(bindparam("profession")),
            )
        )
    if organiser:
        statement = statement.where(
            func.lower(TrainingEvent.organiser).like(bindparam("organiser"))
        )
    if until:
        statement = statement.where(TrainingEvent.starts_at <= bindparam("until"))
    return statement


@cache
def _upcoming_statement(profession: bool, organiser: bool, until: bool) -> Select[Any]:
    statement = _filtered(profession, organiser, until)
    return (
        statement.order_by(TrainingEvent.starts_at, TrainingEvent.id)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )


@cache
def _count_statement(profession: bool, organiser: bool, until: bool) -> Select[Any]:
    return select(func.count()).select_from(_filtered(profession, organiser, until).subquery())


def _values(ctx: Context, query: TrainingQuery) -> dict[str, object]:
    now = ctx.clock.now()
    values: dict[str, object] = {"now": now, "limit": query.limit, "offset": query.offset}
    if query.profession:
        values["profession"] = f"%,{query.profession},%"
    if query.organiser:
        values["organiser"] = f"%{query.organiser.lower()}%"
    if query.until is not None:
        values["until"] = query.until
    elif query.weeks:
        values["until"] = now + timedelta(weeks=query.weeks)
    return values


def _shape(query: TrainingQuery) -> tuple[bool, bool, bool]:
    return bool(query.profession), bool(query.organiser), bool(query.until or query.weeks)


async def upcoming(ctx: Context, query: TrainingQuery) -> list[TrainingEvent]:
    """Events that have not ended, soonest first: `query.limit` of them from `query.offset`."""
    statement = _upcoming_statement(*_shape(query))
    return list((await ctx.session.execute(statement, _values(ctx, query))).scalars())


async def count_upcoming(ctx: Context, query: TrainingQuery) -> int:
    """How many events match `query` in all, however many a page shows."""
    values = _values(ctx, query)
    values.pop("limit"), values.pop("offset")
    return int((await ctx.session.execute(_count_statement(*_shape(query)), values)).scalar_one())


async def organisers_like(ctx: Context, text: str) -> bool:
    """Whether `text` names an organiser: of an upcoming event, or an organisation in the
    register (an HEI with nothing planned yet). Anything else is a word not understood."""
    pattern = f"%{text.lower()}%"
    for statement in (
        select(TrainingEvent.id)
        .where(TrainingEvent.ends_at >= ctx.clock.now())
        .where(func.lower(TrainingEvent.organiser).like(pattern)),
        select(Organisation.id).where(func.lower(Organisation.name).like(pattern)),
    ):
        if (await ctx.session.execute(statement.limit(1))).first() is not None:
            return True
    return False


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _stored(data: TrainingData) -> dict[str, object]:
    values: dict[str, object] = {name: getattr(data, name) for name in _COPIED}
    values["professions"] = professions.join_codes(data.professions)
    values["starts_at"] = data.starts_at.astimezone(UTC)  # so re-imports compare equal
    values["ends_at"] = data.ends_at.astimezone(UTC)
    return values


async def upsert(ctx: Context, events: Iterable[TrainingData]) -> ImportResult:
    """Create or update events by UID; an unchanged event is left alone (no write, no audit)."""
    result = ImportResult()
    batch = list(events)
    uids = [data.uid for data in batch]
    existing: dict[str, TrainingEvent] = {}
    for start in range(0, len(uids), 500):
        rows = await ctx.session.execute(
            select(TrainingEvent).where(TrainingEvent.uid.in_(uids[start : start + 500]))
        )
        existing.update({event.uid: event for event in rows.scalars()})
    now = ctx.clock.now()
    for data in batch:
        values = _stored(data)
        event = existing.get(data.uid)
        if event is None:
            event = TrainingEvent(uid=data.uid, created_at=now, updated_at=now, **values)
            ctx.session.add(event)
            existing[data.uid] = event
            await ctx.session.flush()
            audit.record(
                ctx, "training.create", "training_event", data.uid, None, audit.snapshot(event)
            )
            result.created += 1
            continue
        before = audit.snapshot(event)
        for name, value in values.items():
            setattr(event, name, value)
        if audit.snapshot(event) == before:
            result.unchanged += 1
            continue
        event.updated_at = now
        await ctx.session.flush()
        audit.record(
            ctx, "training.update", "training_event", data.uid, before, audit.snapshot(event)
        )
        result.updated += 1
    return result


async def add_event(ctx: Context, data: TrainingData) -> TrainingEvent:
    require_any_role(
        ctx.require_person(), ("hei_lead", "faculty_lead", "coordinator"), "add training events"
    )
    await upsert(ctx, [data])
    return (
        await ctx.session.execute(select(TrainingEvent).where(TrainingEvent.uid == data.uid))
    ).scalar_one()
