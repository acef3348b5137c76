"""People and their identities: anyone who speaks to the bot is met, recorded and remembered;
and the faculty leads, whom the summary and the nudge pauses both reach."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.clock import Clock
from bot.kernel.messages import Actor
from bot.people.cache import KnownPeople
from storage.tables import Identity, Person, RoleGrant

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_name(name: str) -> str:
    """A display name as given (any script, emoji included), minus control characters."""
    return _CONTROL.sub("", name).strip()[:200] or "New colleague"


# Built once: building a statement and its cache key cost more CPU than running it.
_BY_IDENTITY = (
    select(Person)
    .join(Identity, Identity.person_id == Person.id)
    .where(
        Identity.platform == bindparam("platform"),
        Identity.tenant == bindparam("tenant"),
        Identity.external_id == bindparam("external_id"),
    )
)


async def find_person(session: AsyncSession, actor: Actor) -> Person | None:
    identity = {
        "platform": actor.platform,
        "tenant": actor.tenant,
        "external_id": actor.external_id,
    }
    return (await session.execute(_BY_IDENTITY, identity)).unique().scalar_one_or_none()


async def meet(
    session: AsyncSession, actor: Actor, clock: Clock, known: KnownPeople | None = None
) -> Person:
    """The person behind `actor`; someone new becomes a clinician with no set-up asked of them.

    With `known`, a person met in the last few seconds is taken from memory, without SQL.
    """
    if known is not None:
        copy = known.get(actor)
        if copy is not None:
            return await session.merge(copy, load=False)
    generation = KnownPeople.generation()
    person = await find_person(session, actor)
    if person is not None:
        if known is not None:
            known.keep(actor, person, generation)
        return person
    try:
        async with session.begin_nested():  # a savepoint: a twin request may meet them first
            person = Person(
                display_name=clean_name(actor.display_name),
                email=actor.email,
                created_at=clock.now(),
                roles=[RoleGrant(role="clinician")],
            )
            session.add(person)
            await session.flush()
            session.add(
                Identity(
                    person_id=person.id,
                    platform=actor.platform,
                    tenant=actor.tenant,
                    external_id=actor.external_id,
                )
            )
            await session.flush()
    except IntegrityError:
        met = await find_person(session, actor)
        if met is None:
            raise
        return met
    return person


def has_role(person: Person, role: str, organisation_id: int | None = None) -> bool:
    return any(
        grant.role == role and (organisation_id is None or grant.organisation_id == organisation_id)
        for grant in person.roles
    )


@dataclass(frozen=True)
class FacultyLead:
    """A faculty lead, with the working hours that time what they are told."""

    id: int
    working_days: str
    work_starts: time
    work_ends: time


async def faculty_leads(session: AsyncSession) -> list[FacultyLead]:
    """Everyone with the `faculty_lead` role, once each however many grants they hold, by id."""
    rows = await session.execute(
        select(Person.id, Person.working_days, Person.work_starts, Person.work_ends)
        .where(Person.id.in_(select(RoleGrant.person_id).where(RoleGrant.role == "faculty_lead")))
        .order_by(Person.id)
    )
    return [FacultyLead(*row) for row in rows]
