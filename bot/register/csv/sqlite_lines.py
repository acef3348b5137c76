"""The register's CSV lines written by SQLite itself: one printf per record.

A line per record costs far less than 23 cells crossing into Python. The cells of the small
tables (provider, site, team, block) are worked out once per pull in materialised CTEs, not
once per offer: they are most of the per-record work of neutralising and quoting.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import CTE, ColumnElement, Integer, Select, String, case, cast, func, or_, select

from bot.register.csv.postgres_cells import neutralised, number, sql_text, text_of
from bot.register.queries import PlacementQuery, placements_statement
from bot.register.records import FORMULA_STARTS
from storage.tables import Organisation, PlacementBlock, PlacementOffer, Site, Team

Offer = PlacementOffer


def _formula_start(cell: ColumnElement[str]) -> ColumnElement[bool]:
    """The first character tested with one GLOB, cheaper than substr and IN. A - last in the
    class is itself, not a range."""
    chars = "".join(c for c in FORMULA_STARTS if c != "-") + "-"
    return cell.op("GLOB")(sql_text(f"[{chars}]*"))


def _quoted(cell: ColumnElement[str], shown: ColumnElement[str]) -> ColumnElement[str]:
    """RFC 4180 quoting as Python's csv module does it: only cells holding , " CR or LF. The
    test is on the stored `cell`, which holds one of those exactly when its `shown` form does."""
    special = or_(*(func.instr(cell, sql_text(c)) > number(0) for c in (",", '"', "\n", "\r")))
    return case((special, func.printf(sql_text('"%w"'), shown)), else_=shown)


def _typed(column: Any) -> ColumnElement[str]:
    """Text people or reference data wrote: neutralised, then quoted where needed."""
    cell = text_of(column)
    return _quoted(cell, neutralised(cell, _formula_start(cell)))


def _instant(column: Any) -> ColumnElement[str]:
    """isoformat() of a stored instant (naive UTC text with microseconds), less its offset,
    which the layout adds: microseconds only when there are any."""
    t = func.replace(text_of(column), sql_text(" "), sql_text("T"))
    return func.replace(t, sql_text(".000000"), sql_text(""))


def _cells_of(name: str, key: Any, *columns: Any) -> CTE:
    """Ready CSV cells, comma-joined, for each row of a small table; worked out once."""
    layout = sql_text(",".join(["%s"] * len(columns)))
    cells = func.printf(layout, *(_typed(column) for column in columns), type_=String)
    cte = select(key.label("id"), cells.label("cells")).cte(name)
    # SQLite before 3.35 knows no MATERIALIZED: the same lines, worked out per offer there.
    return cte.prefix_with("MATERIALIZED") if sqlite3.sqlite_version_info >= (3, 35) else cte


def sqlite_lines(query: PlacementQuery) -> Select[Any]:
    """One CSV line (CRLF) per record matching `query`, in PLACEMENT_FIELDS order."""
    provider = _cells_of(
        "provider_cells", Organisation.id, Organisation.name, Organisation.ods_code
    )
    site = _cells_of("site_cells", Site.id, Site.name, Site.ods_code)
    team = _cells_of("team_cells", Team.id, Team.name)
    block = _cells_of("block_cells", PlacementBlock.id, PlacementBlock.ref)
    julian_days = func.julianday(Offer.end_date) - func.julianday(Offer.start_date)
    two_empty = sql_text(",")  # provider and its ODS code, or site and its code, when there is none
    cells: list[tuple[str, Any]] = [
        ("%s", Offer.ref),
        ("%s", Offer.profession),
        ("%s", Offer.status),
        ("%s", Offer.start_date),  # dates are stored as ISO text
        ("%s", Offer.end_date),
        ("%s", func.max(number(1), (cast(julian_days, Integer) + number(7)) // number(7))),
        ("%s", Offer.capacity),
        ("%s", func.coalesce(provider.c.cells, two_empty)),  # provider, provider_ods_code
        ("%s", func.coalesce(site.c.cells, two_empty)),  # site, site_ods_code
        ("%s", team.c.cells),
        ("%s", _typed(Offer.place_text)),
        ("%s", Offer.setting),  # vocabulary codes: never a formula, never quoted
        ("%s", Offer.supervision_model),
        ("%s", Offer.student_level),
        ("%s", _typed(Offer.educator)),
        ("%s", block.c.cells),
        ("%s", _typed(Offer.notes)),
        ("%s+00:00", _instant(Offer.release_at)),
        ("%s", Offer.version),
        ("%s+00:00", _instant(Offer.created_at)),
        ("%s+00:00", _instant(Offer.updated_at)),
    ]
    layout = sql_text(",".join(form for form, _ in cells) + "\r\n")
    line = func.printf(layout, *(text_of(cell) for _, cell in cells), type_=String)
    return (
        placements_statement(query, [line])
        .outerjoin(provider, provider.c.id == Offer.provider_id)
        .outerjoin(site, site.c.id == Offer.site_id)
        .outerjoin(team, team.c.id == Offer.team_id)
        .outerjoin(block, block.c.id == Offer.block_id)
    )
