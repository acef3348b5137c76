"""Where a person's identifiers appear in free text anywhere in the database, found and replaced
generically: every text and JSON column of every table, so a column added later is covered too.

Targeted erasure (`bot.privacy.erase`) clears the rows that belong to the person; this catches the
rest: their name in a message sent to someone else, their email in an audit reference, their
Slack id inside a stored reply. JSON is matched on its stored text in both its plain and its
escaped form (`json.dumps` writes non-ASCII as \\uXXXX), then rewritten value by value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    String,
    Table,
    Text,
    cast,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import Base

REPLACEMENT = "[erased]"
SHORTEST_NAME = 3  # a shorter display name would match inside unrelated words
# Rows that are people and their identities: the erased person's own are emptied or deleted by
# the erasure itself; anyone else's that match only share a name, and are not theirs to change.
OWN_ROWS = frozenset({"people", "identities"})


@dataclass(frozen=True)
class Mention:
    """One row whose text names the person: its table, its key, and which columns."""

    table: str
    key: dict[str, Any]
    columns: tuple[str, ...]


def needles(values: Iterable[str | None]) -> list[str]:
    """The identifiers worth looking for, longest first (an email before the name inside it)."""
    found = {v.strip() for v in values if v and len(v.strip()) >= SHORTEST_NAME}
    return sorted(found, key=lambda v: (-len(v), v))


def _text_columns(table: Table) -> tuple[list[Any], list[Any]]:
    texts, documents = [], []
    for column in table.columns:
        if isinstance(column.type, JSON):
            documents.append(column)
        elif isinstance(column.type, String | Text):
            texts.append(column)
    return texts, documents


def _escaped(needle: str) -> str:
    return json.dumps(needle)[1:-1]


def _matches(column: Any, needle: str, document: bool) -> list[ColumnElement[bool]]:
    target = func.lower(cast(column, Text)) if document else func.lower(column)
    forms = {needle.lower(), _escaped(needle).lower()} if document else {needle.lower()}
    return [target.contains(form, autoescape=True) for form in sorted(forms)]


def _pattern(found: list[str]) -> re.Pattern[str]:
    """Each identifier as a whole word where it begins or ends with one: "Sam" is not in
    "Sample", while "29:1abc" and "jo@nhs.uk" match wherever they stand."""

    def whole(needle: str) -> str:
        start = r"(?<!\w)" if re.match(r"\w", needle) else ""
        end = r"(?!\w)" if re.search(r"\w$", needle) else ""
        return start + re.escape(needle) + end

    return re.compile("|".join(whole(n) for n in found), re.IGNORECASE)


def scrub_text(value: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(REPLACEMENT, value)


def scrub_document(value: Any, pattern: re.Pattern[str]) -> Any:
    """The JSON value with every string (keys too) scrubbed."""
    if isinstance(value, str):
        return scrub_text(value, pattern)
    if isinstance(value, list):
        return [scrub_document(item, pattern) for item in value]
    if isinstance(value, dict):
        return {scrub_text(k, pattern): scrub_document(v, pattern) for k, v in value.items()}
    return value


async def _rows(session: AsyncSession, table: Table, found: list[str]) -> list[Any]:
    texts, documents = _text_columns(table)
    if not texts and not documents:
        return []
    conditions = [m for c in texts for n in found for m in _matches(c, n, document=False)]
    conditions += [m for c in documents for n in found for m in _matches(c, n, document=True)]
    keys = list(table.primary_key.columns)
    query = select(*keys, *texts, *documents).where(or_(*conditions)).order_by(*keys)
    return list((await session.execute(query)).mappings())


async def find(
    session: AsyncSession,
    identifiers: Iterable[str | None],
    tables: Collection[str] | None = None,
) -> list[Mention]:
    """Every row, in every table (or in those named), whose text or JSON holds one of the
    identifiers."""
    found = needles(identifiers)
    if not found:
        return []
    pattern = _pattern(found)
    mentions = []
    for table in Base.metadata.sorted_tables:
        if tables is not None and table.name not in tables:
            continue
        texts, documents = _text_columns(table)
        for row in await _rows(session, table, found):
            columns = [c.name for c in texts if row[c.name] and pattern.search(row[c.name])]
            columns += [
                c.name
                for c in documents
                if row[c.name] is not None
                and pattern.search(json.dumps(row[c.name], ensure_ascii=False))
            ]
            if columns:
                key = {c.name: row[c.name] for c in table.primary_key.columns}
                mentions.append(Mention(table.name, key, tuple(columns)))
    return mentions


async def replace(session: AsyncSession, identifiers: Iterable[str | None]) -> dict[str, int]:
    """Replace the identifiers wherever they appear; rows changed, by table. A row whose key
    holds one (an inbound receipt's key names the Slack user or Teams conversation) is deleted:
    a key cannot be rewritten without colliding, and a receipt is only there to spot retries."""
    found = needles(identifiers)
    if not found:
        return {}
    pattern = _pattern(found)
    changed: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        if table.name in OWN_ROWS:
            continue
        texts, documents = _text_columns(table)
        keys = list(table.primary_key.columns)
        for row in await _rows(session, table, found):
            values: dict[str, Any] = {}
            for column in texts:
                if (value := row[column.name]) and pattern.search(value):
                    values[column.name] = scrub_text(value, pattern)[: _length(column)]
            for column in documents:
                if (value := row[column.name]) is not None:
                    cleaned = scrub_document(value, pattern)
                    if cleaned != value:
                        values[column.name] = cleaned
            if not values:
                continue
            where = [key == row[key.name] for key in keys]
            if any(key.name in values for key in keys):  # a receipt keyed by a platform id
                await session.execute(delete(table).where(*where))
            else:
                await session.execute(update(table).where(*where).values(values))
            changed[table.name] = changed.get(table.name, 0) + 1
    return changed


def _length(column: Any) -> int | None:
    return getattr(column.type, "length", None)
