"""The register's public record of an offer: the field names HEIs see in the API and CSV exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

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
