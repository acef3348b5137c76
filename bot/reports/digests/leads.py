"""Who is due a digest: every HEI lead of the job's frequency (or one lead, asking now), one per
(HEI, lead), with the professions it covers and how far back it looks. See `queries` for the
rules; this module holds the people half of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.professions import split_codes
from config.professions import PROFESSION_CODES
from storage.tables import Organisation, Person, RoleGrant

FIRST_WINDOW = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
MAX_WINDOW = timedelta(days=31)


@dataclass(frozen=True)
class Lead:
    person_id: int
    name: str
    hei_id: int
    hei_name: str
    professions: tuple[str, ...]
    since: datetime


def lead_professions(hei_codes: str, own_codes: str) -> tuple[str, ...]:
    hei, own = split_codes(hei_codes), split_codes(own_codes)
    both = [code for code in hei if code in own]
    return tuple(both or hei or own or PROFESSION_CODES)


async def due_leads(
    session: AsyncSession, frequency: str, now: datetime, person_id: int | None = None
) -> list[Lead]:
    """Every `frequency` lead, or (`person_id`) that one lead whatever their frequency."""
    chosen = Person.digest_frequency == frequency if person_id is None else Person.id == person_id
    rows = await session.execute(
        select(
            Person.id,
            Person.display_name,
            Person.professions,
            Person.last_digest_at,
            Organisation.id,
            Organisation.name,
            Organisation.professions,
        )
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .join(Organisation, Organisation.id == RoleGrant.organisation_id)
        .where(
            RoleGrant.role == "hei_lead",
            Organisation.kind == "hei",
            chosen,
        )
        .order_by(Organisation.id, Person.id)
    )
    leads = []
    for person_id, name, own, last, hei_id, hei_name, hei_codes in rows.all():
        since = last if last is not None else now - FIRST_WINDOW[frequency]
        leads.append(
            Lead(
                person_id,
                name,
                hei_id,
                hei_name,
                lead_professions(hei_codes, own),
                max(since, now - MAX_WINDOW),
            )
        )
    return leads
