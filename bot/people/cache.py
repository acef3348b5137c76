"""A short-lived memory of the people a bot has met, so a turn need not load them again.

Loading a person with their roles, organisation and team costs a round trip to the database and
more ORM work than the rest of a typical turn. A remembered copy is merged into the turn's
session without SQL instead. Any flush in this process that touches people, their roles,
identities, teams, sites or organisations makes every copy stale at once; a change made by
another process (the CLI, another web process) is seen within `TTL` seconds.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from bot.kernel.messages import Actor
from storage.tables import Identity, Organisation, Person, RoleGrant, Site, Team

TTL = 5.0  # seconds a copy is trusted without a look at the database
MAX_PEOPLE = 2_000  # a copy holds its roles, organisation and team: bounded memory
_MADE_OF = (Person, RoleGrant, Identity, Team, Site, Organisation)
_TOUCHED = "placebot.touches_people"
_generation = 0  # bumped by every write to what a remembered person is made of


def _forget_all() -> None:
    global _generation
    _generation += 1


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(instance, _MADE_OF) for instance in changed):
        session.info[_TOUCHED] = True
        _forget_all()  # now, for this process's readers of uncommitted state, and at commit


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_TOUCHED, False):
        _forget_all()  # a copy taken while the transaction was open holds the old values


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(_TOUCHED, None)


@event.listens_for(Session, "do_orm_execute")
def _bulk_writes(state: ORMExecuteState) -> None:
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ in _MADE_OF:
        state.session.info[_TOUCHED] = True
        _forget_all()


class KnownPeople:
    """Per bot (so per database): detached copies of people, by platform identity."""

    def __init__(self, ttl: float = TTL) -> None:
        self.ttl = ttl
        self._people: dict[tuple[Any, ...], tuple[float, int, Person]] = {}
        self._copier = Session()  # never bound: merge(load=False) copies without SQL

    @staticmethod
    def generation() -> int:
        return _generation

    @staticmethod
    def _key(actor: Actor) -> tuple[Any, ...]:
        """The identity and the names the platform showed: a name shown for the first time
        misses, so that `meet` records it on the identity."""
        return actor.platform, actor.tenant, actor.external_id, actor.display_name, actor.aliases

    def get(self, actor: Actor) -> Person | None:
        """A copy to merge with `load=False`, or None when there is none still trusted."""
        found = self._people.get(self._key(actor))
        if found is None:
            return None
        expires, generation, person = found
        if generation != _generation or expires < time.monotonic():
            del self._people[self._key(actor)]
            return None
        return person

    def keep(self, actor: Actor, person: Person, generation: int) -> None:
        """Remember a just-loaded, unchanged person, unless a write came since `generation`."""
        if generation != _generation:
            return
        if len(self._people) >= MAX_PEOPLE:
            self._people.clear()
        copy = self._copier.merge(person, load=False)
        self._copier.expunge_all()
        self._people[self._key(actor)] = (time.monotonic() + self.ttl, generation, copy)
