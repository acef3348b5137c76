"""The register as HEIs read it: filtered, in change order, a keyset page at a time.

Records come in (updated_at, id) order. Stamps are strictly increasing in commit order
(see `bot.register.changes`), so a cursor never skips a record: one that changes during a pull
moves past the cursor and comes again with its new version, never lost. The last record's
`updated_at` is where the next incremental pull starts (`updated_since`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, func, literal, or_, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, aliased

from bot.kernel.context import Context
from bot.kernel.date_display import weeks_between
from bot.kernel.errors import NotFound, UserError
from storage.lifecycle import PUBLIC
from storage.tables import Organisation, PlacementBlock, PlacementOffer, Site, Team
from storage.types import UTCDateTime

PROVIDER = aliased(Organisation)
_COLUMNS = (
    PlacementOffer.id,
    PlacementOffer.ref,
    PlacementOffer.profession,
    PlacementOffer.status,
    PlacementOffer.start_date,
    PlacementOffer.end_date,
    PlacementOffer.capacity,
    PROVIDER.name,
    PROVIDER.ods_code,
    Site.name,
    Site.ods_code,
    Team.name,
    PlacementOffer.place_text,
    PlacementOffer.setting,
    PlacementOffer.supervision_model,
    PlacementOffer.student_level,
    PlacementOffer.educator,
    PlacementBlock.ref,
    PlacementOffer.notes,
    PlacementOffer.release_at,
    PlacementOffer.version,
    PlacementOffer.created_at,
    PlacementOffer.updated_at,
)


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last record's change stamp and id. Opaque to clients."""

    updated_at: datetime
    id: int

    def key(self) -> ColumnElement[Any]:
        """This position as a row value to compare with `change_key()`."""
        return tuple_(literal(self.updated_at, UTCDateTime()), literal(self.id))

    def encode(self) -> str:
        raw = json.dumps([self.updated_at.isoformat(), self.id]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Position:
        try:
            if len(text) > MAX_CURSOR:  # else deep `[[[[` in one is a RecursionError in json
                raise ValueError(text)
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            stamp, record_id = json.loads(raw)
            at = datetime.fromisoformat(stamp)
            if at.tzinfo is None or type(record_id) is not int or not 0 < record_id <= MAX_ID:
                raise ValueError(text)  # (`type`: a bool is an int to isinstance)
            at = at.astimezone(UTC)  # OverflowError at the ends of the calendar
        except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
            raise UserError(
                "That cursor is not one this server gave out.", field="cursor"
            ) from None
        return cls(at, record_id)


MAX_ID = 2**63 - 1  # the largest id either database's BIGINT holds
MAX_CURSOR = 120  # the cursors given out are under 70 characters


def change_key() -> ColumnElement[Any]:
    """A record's place in change order as a row value: both databases read a comparison with
    it as one range of the (updated_at, id) index (the spelled-out OR costs SQLite a fifth more)."""
    return tuple_(PlacementOffer.updated_at, PlacementOffer.id)


@dataclass(frozen=True)
class PlacementQuery:
    profession: str | None = None
    professions: tuple[str, ...] = ()  # any of these (a lead's digest); empty: any profession
    statuses: tuple[str, ...] = ()  # empty: every public status, withdrawn and expired included
    ends_from: date | None = None  # `from`: placements still running on or after this day
    starts_to: date | None = None  # `to`: placements starting on or before this day
    site: str | None = None  # site name or ODS code
    block: str | None = None  # block reference
    updated_since: datetime | None = None
    after: Position | None = None
    limit: int = 100

    def __post_init__(self) -> None:
        unknown = set(self.statuses) - set(PUBLIC)
        if unknown:
            raise UserError(
                f"Unknown status {', '.join(sorted(unknown))}; use {', '.join(PUBLIC)}.",
                field="status",
            )


@dataclass(frozen=True)
class Page:
    records: list[dict[str, Any]]
    next_cursor: str | None  # None: this was the last page
    next_updated_since: datetime | None  # where the next incremental pull starts


def placements_statement(
    query: PlacementQuery,
    columns: Sequence[ColumnElement[Any] | InstrumentedAttribute[Any]] = _COLUMNS,
) -> Select[Any]:
    """The register's rows matching `query`, in change order; `columns` say what each row holds.
    Offers held until their poster is confirmed were never public, and never are here."""
    statement = (
        select(*columns)
        .select_from(PlacementOffer)
        .outerjoin(PROVIDER, PROVIDER.id == PlacementOffer.provider_id)
        .outerjoin(Site, Site.id == PlacementOffer.site_id)
        .outerjoin(Team, Team.id == PlacementOffer.team_id)
        .outerjoin(PlacementBlock, PlacementBlock.id == PlacementOffer.block_id)
    )
    if query.profession:
        statement = statement.where(PlacementOffer.profession == query.profession)
    if query.professions:
        statement = statement.where(PlacementOffer.profession.in_(query.professions))
    statement = statement.where(PlacementOffer.status.in_(query.statuses or PUBLIC))
    if query.ends_from:
        statement = statement.where(PlacementOffer.end_date >= query.ends_from)
    if query.starts_to:
        statement = statement.where(PlacementOffer.start_date <= query.starts_to)
    if query.site:
        wanted = query.site.strip().lower()
        statement = statement.where(
            or_(func.lower(Site.name) == wanted, func.lower(Site.ods_code) == wanted)
        )
    if query.block:
        statement = statement.where(PlacementBlock.ref == query.block.strip().upper())
    if query.updated_since:
        statement = statement.where(PlacementOffer.updated_at > query.updated_since)
    if query.after:
        statement = statement.where(change_key() > query.after.key())
    return statement.order_by(PlacementOffer.updated_at, PlacementOffer.id)


def _iso(value: date | datetime) -> str:
    return value.isoformat()


def record_of(row: Row[Any] | Sequence[Any]) -> dict[str, Any]:
    """A row of `_COLUMNS` as the public record, with the fields of PLACEMENT_FIELDS."""
    (
        _id,
        ref,
        profession,
        status,
        start,
        end,
        capacity,
        provider,
        provider_ods,
        site,
        site_ods,
        team,
        place,
        setting,
        model,
        level,
        educator,
        block,
        notes,
        release_at,
        version,
        created_at,
        updated_at,
    ) = row
    return {
        "ref": ref,
        "profession": profession,
        "status": status,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "weeks": weeks_between(start, end),
        "capacity": capacity,
        "provider": provider,
        "provider_ods_code": provider_ods,
        "site": site,
        "site_ods_code": site_ods,
        "team": team,
        "place": place,
        "setting": setting,
        "supervision_model": model,
        "student_level": level,
        "educator": educator,
        "block": block,
        "notes": notes,
        "release_at": _iso(release_at),
        "version": version,
        "created_at": _iso(created_at),
        "updated_at": _iso(updated_at),
    }


async def _rows(ctx: Context, query: PlacementQuery) -> tuple[list[Row[Any]], bool]:
    rows = list(
        (await ctx.session.execute(placements_statement(query).limit(query.limit + 1))).all()
    )
    return rows[: query.limit], len(rows) > query.limit


def _position(row: Row[Any]) -> Position:
    return Position(row[-1], row[0])


async def placements_page(ctx: Context, query: PlacementQuery) -> Page:
    """One page of public records, and where the next page and the next sync begin."""
    rows, more = await _rows(ctx, query)
    last = _position(rows[-1]) if rows else None
    since = last.updated_at if last else (query.after.updated_at if query.after else None)
    return Page(
        records=[record_of(row) for row in rows],
        next_cursor=last.encode() if more and last else None,
        next_updated_since=since or query.updated_since,
    )


async def placement(ctx: Context, ref: str) -> dict[str, Any]:
    row = (
        await ctx.session.execute(
            placements_statement(PlacementQuery()).where(PlacementOffer.ref == ref.strip().upper())
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"There is no placement {ref.strip()[:30]}.")
    return record_of(row)


async def register_state(ctx: Context) -> str:
    """Changes whenever any record changes or is added: every write takes a fresh, later stamp
    and offers are never deleted, so the latest stamp alone says (one index probe)."""
    latest = await ctx.session.scalar(select(func.max(PlacementOffer.updated_at)))
    return latest.isoformat() if latest else "-"
