"""The register's CSV cells written by PostgreSQL itself, for `COPY ... (FORMAT csv)`.

Building 23 cells per record in Python cost most of a CSV pull. Here SQL formats them as the
JSON record does (`bot.register.queries.record_of`) and neutralises typed text as `neutralise` does,
so Python only moves text. Tests compare the two paths cell for cell on both databases; SQLite's
lines are in `sqlite_lines`, which shares the helpers here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, String, case, func, literal_column
from sqlalchemy import type_coerce as coerce

from bot.register.queries import PROVIDER
from bot.register.records import FORMULA_STARTS
from storage.tables import PlacementBlock, PlacementOffer, Site, Team

Offer = PlacementOffer


def sql_text(value: str) -> ColumnElement[str]:
    """A string constant written into the SQL, so it needs no bound parameter (COPY has none)."""
    return literal_column("'" + value.replace("'", "''") + "'", String)


def number(value: int) -> ColumnElement[int]:
    return literal_column(str(value), Integer)


def text_of(column: Any) -> ColumnElement[str]:
    return coerce(column, String)


def neutralised(cell: ColumnElement[str], starts: ColumnElement[bool]) -> ColumnElement[str]:
    """`bot.register.records.neutralise` in SQL: a leading ' before = + - @ tab or CR."""
    return case((starts, sql_text("'") + cell), else_=cell)


def _formula_start(cell: ColumnElement[str]) -> ColumnElement[bool]:
    return func.substr(cell, 1, 1).in_([sql_text(c) for c in FORMULA_STARTS])


def postgres_cells() -> list[ColumnElement[Any]]:
    """The 23 cells in PLACEMENT_FIELDS order for `COPY ... (FORMAT csv)`, which quotes as
    Python's csv module does. Empty text becomes NULL because COPY writes '' as a quoted ""
    but NULL as nothing, as Python does. Text people or reference data wrote is neutralised;
    vocabulary codes (setting, supervision model, level) never begin with a formula character."""

    def date(column: Any) -> ColumnElement[str]:
        return func.to_char(column, sql_text("YYYY-MM-DD"))

    def instant(column: Any) -> ColumnElement[str]:
        # isoformat(): microseconds only when there are any, and the UTC offset.
        utc = func.timezone(sql_text("UTC"), column)
        stamp = func.to_char(utc, sql_text('YYYY-MM-DD"T"HH24:MI:SS.US'))
        return func.replace(stamp, sql_text(".000000"), sql_text("")) + sql_text("+00:00")

    def text(column: Any) -> ColumnElement[str]:
        return func.nullif(text_of(column), sql_text(""))

    def typed(column: Any) -> ColumnElement[str]:
        return neutralised(text(column), _formula_start(text(column)))

    weeks = func.greatest(number(1), (Offer.end_date - Offer.start_date + number(7)) // number(7))
    return [
        text_of(Offer.ref),
        text_of(Offer.profession),
        text_of(Offer.status),
        date(Offer.start_date),
        date(Offer.end_date),
        weeks,
        Offer.capacity,
        typed(PROVIDER.name),
        typed(PROVIDER.ods_code),
        typed(Site.name),
        typed(Site.ods_code),
        typed(Team.name),
        typed(Offer.place_text),
        text(Offer.setting),
        text(Offer.supervision_model),
        text(Offer.student_level),
        typed(Offer.educator),
        typed(PlacementBlock.ref),
        typed(Offer.notes),
        instant(Offer.release_at),
        Offer.version,
        instant(Offer.created_at),
        instant(Offer.updated_at),
    ]
