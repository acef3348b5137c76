"""The register's public record of an offer: the field names HEIs see in the API and CSV exports."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dates import weeks_between
from storage.tables import PlacementOffer

PLACEMENT_FIELDS: tuple[str, ...] = (
    "ref",
    "profession",
    "status",
    "start_date",
    "end_date",
    "weeks",
    "capacity",
    "provider",
    "provider_ods_code",
    "site",
    "site_ods_code",
    "team",
    "place",
    "setting",
    "supervision_model",
    "student_level",
    "educator",
    "block",
    "notes",
    "release_at",
    "version",
    "created_at",
    "updated_at",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def placement_record(offer: PlacementOffer) -> dict[str, Any]:
    return {
        "ref": offer.ref,
        "profession": offer.profession,
        "status": offer.status,
        "start_date": offer.start_date.isoformat(),
        "end_date": offer.end_date.isoformat(),
        "weeks": weeks_between(offer.start_date, offer.end_date),
        "capacity": offer.capacity,
        "provider": offer.provider.name if offer.provider else None,
        "provider_ods_code": offer.provider.ods_code if offer.provider else None,
        "site": offer.site.name if offer.site else None,
        "site_ods_code": offer.site.ods_code if offer.site else None,
        "team": offer.team.name if offer.team else None,
        "place": offer.place_text,
        "setting": offer.setting,
        "supervision_model": offer.supervision_model,
        "student_level": offer.student_level,
        "educator": offer.educator,
        "block": offer.block.ref if offer.block else None,
        "notes": offer.notes,
        "release_at": offer.release_at.isoformat(),
        "version": offer.version,
        "created_at": offer.created_at.isoformat(),
        "updated_at": offer.updated_at.isoformat(),
    }


def neutralise(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP CSV injection advice)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(records: Iterable[dict[str, Any]], header: bool = True) -> Iterable[str]:
    """RFC 4180 lines (CRLF), header first, cells neutralised, one line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def take() -> str:
        line = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return line

    if header:
        writer.writerow(PLACEMENT_FIELDS)
        yield take()
    for record in records:
        writer.writerow([neutralise(record[name]) for name in PLACEMENT_FIELDS])
        yield take()


async def count_placements(session: AsyncSession) -> int:
    return (await session.execute(select(func.count(PlacementOffer.id)))).scalar_one()


async def iter_placements(
    session: AsyncSession, batch: int = 1000
) -> AsyncIterator[PlacementOffer]:
    """Every offer in id order, a batch at a time, so memory stays flat at any size."""
    last_id = 0
    while True:
        rows = await session.execute(
            select(PlacementOffer)
            .where(PlacementOffer.id > last_id)
            .order_by(PlacementOffer.id)
            .limit(batch)
        )
        offers = list(rows.unique().scalars())
        if not offers:
            return
        for offer in offers:
            yield offer
        last_id = offers[-1].id
        session.expunge_all()
