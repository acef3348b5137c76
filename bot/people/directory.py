"""People and their identities: anyone who speaks to the bot is met, recorded and remembered;
and the faculty leads, whom the summary and the nudge pauses both reach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlalchemy import ColumnElement, bindparam, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.clock import Clock
from bot.kernel.messages import Actor
from bot.kernel.text import clean, clean_actor, clip
from bot.people.cache import KnownPeople
from storage.tables import Identity, Person, RoleGrant

MAX_NAME = 200


def clean_name(name: str) -> str:
    """A display name as given (any script, emoji included), on one line, minus control,
    direction-changing and invisible characters."""
    return clip(" ".join(clean(name).split()), MAX_NAME) or "New colleague"


MAX_NAMES = 8  # the few a platform shows (Slack: real name, handle, display), and a few changes


def platform_names(actor: Actor, known: list[str] | None = None) -> list[str]:
    """The names the platform shows for the (cleaned) actor, after those already `known`, each
    once (letter case aside), the newest `MAX_NAMES` kept on their identity: only so that an
    erasure can find them where others typed them."""
    names: dict[str, str] = {}
    for name in (*(known or ()), actor.display_name, *actor.aliases):
        if kept := clip(name, MAX_NAME):
            names.setdefault(kept.casefold(), kept)
    return list(names.values())[-MAX_NAMES:]


# Built once: building a statement and its cache key cost more CPU than running it.
_BY_IDENTITY = (
    select(Person, Identity.id, Identity.names)
    .join(Identity, Identity.person_id == Person.id)
    .where(
        Identity.platform == bindparam("platform"),
        Identity.tenant == bindparam("tenant"),
        Identity.external_id == bindparam("external_id"),
    )
)


async def find_person(session: AsyncSession, actor: Actor) -> Person | None:
    found = await _known_as(session, clean_actor(actor))
    return None if found is None else found[0]


async def _known_as(
    session: AsyncSession, actor: Actor
) -> tuple[Person, int, list[str] | None] | None:
    """The person with this identity, the identity's id and the names kept on it."""
    identity = {
        "platform": actor.platform,
        "tenant": actor.tenant,
        "external_id": actor.external_id,
    }
    result = await session.execute(_BY_IDENTITY, identity)
    row = result.unique(lambda found: found[1]).one_or_none()  # by identity id: JSON can't hash
    return None if row is None else (row[0], row[1], row[2])


async def _remember_names(
    session: AsyncSession, identity_id: int, kept: list[str] | None, actor: Actor
) -> None:
    """Add a name the platform now shows (a new Slack handle, a Teams name changed, or any name
    of someone met before names were kept); a write only when there is one."""
    names = platform_names(actor, kept)
    if names != (kept or []):
        await session.execute(update(Identity).where(Identity.id == identity_id).values(
            names=names))  # fmt: skip


async def meet(
    session: AsyncSession, actor: Actor, clock: Clock, known: KnownPeople | None = None
) -> Person:
    """The person behind `actor`; someone new becomes a clinician with no set-up asked of them.

    Someone new whose work email the platform itself vouches for (Slack's profile, Teams'
    member record) becomes the person already set up with that email, roles and team included,
    unless that person is already someone else on the same platform and tenant. An address
    typed by a user (the local chat, a form) is never matched, or anyone could take a lead's
    roles by typing the lead's address.

    With `known`, a person met in the last few seconds is taken from memory, without SQL.
    """
    actor = clean_actor(actor)  # names and ids as platforms send them are free text too
    if known is not None:
        copy = known.get(actor)
        if copy is not None:
            return await session.merge(copy, load=False)
    generation = KnownPeople.generation()
    found = await _known_as(session, actor)
    if found is not None:
        person, identity_id, names = found
        await _remember_names(session, identity_id, names, actor)
        if known is not None:
            known.keep(actor, person, generation)
        return person
    try:
        async with session.begin_nested():  # a savepoint: a twin request may meet them first
            person = await _set_up_by_email(session, actor)
            if person is None:
                person = Person(
                    display_name=clean_name(actor.display_name),
                    email=work_email(actor.email)[:320] or None,
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
                    names=platform_names(actor) or None,
                )
            )
            await session.flush()  # the new identity makes every remembered person stale
    except IntegrityError:
        met = await find_person(session, actor)
        if met is None:
            raise
        return met
    return person


# Platforms whose email comes from the platform's own directory, never from what a user typed.
VOUCHED_EMAIL_PLATFORMS = frozenset({"slack", "teams"})


def work_email(address: str | None) -> str:
    """An address as compared: trimmed, in lower case ("" for none)."""
    return (address or "").strip().lower()


def _unclaimed_on(platform: str, tenant: str) -> ColumnElement[bool]:
    """No identity of the person yet on this platform and tenant."""
    return ~exists().where(
        Identity.person_id == Person.id,
        Identity.platform == platform,
        Identity.tenant == tenant,
    )


async def _set_up_by_email(session: AsyncSession, actor: Actor) -> Person | None:
    """The person set up with the actor's vouched-for email and not yet on this platform and
    tenant, locked (PostgreSQL) so that two new users with one address cannot both take them."""
    email = work_email(actor.email)
    if actor.platform not in VOUCHED_EMAIL_PLATFORMS or not email:
        return None
    unclaimed = _unclaimed_on(actor.platform, actor.tenant)
    candidate = (
        await session.execute(
            select(Person.id)
            .where(func.lower(func.trim(Person.email)) == email, unclaimed)
            .order_by(Person.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if candidate is None:
        return None
    await session.execute(select(Person.id).where(Person.id == candidate).with_for_update())
    # A fresh statement after the lock: it sees an identity a twin committed while we waited.
    return (
        (await session.execute(select(Person).where(Person.id == candidate, unclaimed)))
        .unique()
        .scalar_one_or_none()
    )


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


async def faculty_leads(session: AsyncSession, summary: bool = False) -> list[FacultyLead]:
    """Everyone with the `faculty_lead` role, once each however many grants they hold, by id;
    with `summary`, only those who have not stopped the weekly summary."""
    statement = select(Person.id, Person.working_days, Person.work_starts, Person.work_ends)
    statement = statement.where(
        Person.id.in_(select(RoleGrant.person_id).where(RoleGrant.role == "faculty_lead"))
    )
    if summary:
        statement = statement.where(Person.summary_stopped.is_(False))
    rows = await session.execute(statement.order_by(Person.id))
    return [FacultyLead(*row) for row in rows]
