"""Rows written straight into the register, with the dates and stamps a test needs.

Tests look at the register as it stands at a moment (offers changed three days ago, a nudge
ignored last week, a block closing on Thursday), which the chat cannot make with a fixed clock.
Each call is its own transaction and returns the row, so later calls can point at it:

    build = Builder(sessions)
    uni = await build.hei("University A", ("PT", "OT"))
    trust = await build.provider("City Hospitals Trust")
    ward = await build.team(trust, "Stroke Rehab", professions=("PT",))
    physio = await build.person("Physio", "clinician", organisation=trust, team=ward)
    block = await build.block(uni, "PT", date(2027, 2, 1), students=6, offers_close=...)
    offer = await build.offer("PT", date(2027, 2, 1), date(2027, 3, 12), team=ward, poster=physio)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.kernel.clock import Clock
from bot.kernel.messages import Reply
from bot.kernel.professions import join_codes
from storage.tables import (
    CapacityAnswer,
    Delivery,
    Identity,
    Nudge,
    Organisation,
    Person,
    PlacementBlock,
    PlacementOffer,
    PlacementRequest,
    RoleGrant,
    Site,
    Target,
    Team,
    TrainingEvent,
)

LONG_AGO = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SLACK_TEAM = "T0001"

Row = TypeVar("Row")


class Builder:
    """One faculty's register, row by row. Stamps are the clock's now, or long ago without one.

    References are numbered per builder: a test uses one (the `build` fixture) so they stay
    unique, and short enough for the parsers (`BL-2027-0001`)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock | None = None
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self._poster: Person | None = None
        self._numbers = count(1)

    def now(self) -> datetime:
        return self.clock.now() if self.clock else LONG_AGO

    def number(self) -> int:
        return next(self._numbers)

    async def add(self, *rows: object) -> None:
        """Any rows as they are, in one transaction."""
        async with self.sessions.begin() as session:
            session.add_all(rows)
            await session.flush()

    async def _one(self, row: Row) -> Row:
        await self.add(row)
        return row

    # Organisations and where their people work

    async def hei(
        self, name: str, professions: Iterable[str] = (), ukprn: str | None = None
    ) -> Organisation:
        return await self._one(
            Organisation(
                kind="hei",
                name=name,
                ukprn=ukprn,
                professions=join_codes(tuple(professions)),
                created_at=self.now(),
            )
        )

    async def provider(
        self, name: str, ods: str | None = None, kind: str | None = None
    ) -> Organisation:
        return await self._one(
            Organisation(
                kind="provider",
                name=name,
                ods_code=ods,
                provider_type=kind,
                created_at=self.now(),
            )
        )

    async def site(self, provider: Organisation, name: str, ods: str | None = None) -> Site:
        return await self._one(Site(organisation_id=provider.id, name=name, ods_code=ods))

    async def team(
        self,
        provider: Organisation,
        name: str,
        professions: Iterable[str] = (),
        site: Site | str | None = None,
    ) -> Team:
        """A team of the provider; `site` is a Site, or the name of a new one."""
        if isinstance(site, str):
            site = await self.site(provider, site)
        return await self._one(
            Team(
                organisation_id=provider.id,
                site_id=site.id if site else None,
                name=name,
                professions=join_codes(tuple(professions)),
            )
        )

    # People, their roles and where the bot reaches them

    async def person(
        self,
        name: str,
        *roles: str,
        organisation: Organisation | None = None,
        team: Team | None = None,
        professions: Iterable[str] = (),
        handle: str | None = None,
        reachable: bool = True,
        slack: str | None = None,
        teams: str | None = None,
        **preferences: Any,
    ) -> Person:
        """A person with these roles (in their organisation). `reachable` gives them a local
        chat identity named `handle` (else their name); `slack` and `teams` add those."""
        organisation_id = organisation.id if organisation else None
        person = await self._one(
            Person(
                display_name=name,
                organisation_id=organisation_id,
                team_id=team.id if team else None,
                professions=join_codes(tuple(professions)),
                created_at=self.now(),
                roles=[RoleGrant(role=role, organisation_id=organisation_id) for role in roles],
                **preferences,
            )
        )
        if reachable:
            await self.identity(person, "local", handle or name)
        if slack:
            await self.identity(person, "slack", slack, tenant=SLACK_TEAM)
        if teams:
            await self.identity(person, "teams", teams)
        return person

    async def identity(
        self, person: Person, platform: str, external_id: str, tenant: str = ""
    ) -> Identity:
        return await self._one(
            Identity(person_id=person.id, platform=platform, tenant=tenant, external_id=external_id)
        )

    async def poster(self) -> Person:
        """Who posted the offers a test did not give a poster: a clinician the bot never reaches."""
        if self._poster is None:
            self._poster = await self.person("Poster", "clinician", reachable=False)
        return self._poster

    # The register: blocks, offers, requests, answers, training, targets

    async def block(
        self,
        hei: Organisation,
        profession: str,
        start: date,
        students: int,
        offers_close: date,
        weeks: int = 6,
        end: date | None = None,
        cohort: str | None = None,
        ref_year: int | None = None,
    ) -> PlacementBlock:
        """An HEI's block; it ends three days short of `weeks` unless `end` says otherwise."""
        return await self._one(
            PlacementBlock(
                ref=f"BL-{ref_year or start.year}-{self.number():04d}",
                hei_id=hei.id,
                profession=profession,
                cohort=cohort or f"{profession} year 2",
                start_date=start,
                end_date=end or start + timedelta(weeks=weeks) - timedelta(days=3),
                students=students,
                offers_close=offers_close,
                created_at=self.now(),
                updated_at=self.now(),
            )
        )

    async def offer(
        self,
        profession: str,
        start: date,
        end: date,
        capacity: int = 1,
        status: str = "offered",
        created: datetime | None = None,
        updated: datetime | None = None,
        team: Team | None = None,
        block: PlacementBlock | None = None,
        poster: Person | None = None,
        provider: Organisation | None = None,
        place: str | None = None,
        ref_year: int | None = None,
    ) -> PlacementOffer:
        """An offer, of the team's provider (or `provider`), posted by `poster` (or a stranger)."""
        poster = poster or await self.poster()
        created = created or self.now()
        return await self._one(
            PlacementOffer(
                ref=f"PL-{ref_year or start.year}-{self.number():04d}",
                profession=profession,
                provider_id=provider.id if provider else team.organisation_id if team else None,
                site_id=team.site_id if team else None,
                team_id=team.id if team else None,
                place_text=place or f"Ward {self.number()}",
                start_date=start,
                end_date=end,
                capacity=capacity,
                block_id=block.id if block else None,
                release_at=created,
                status=status,
                created_by_id=poster.id,
                updated_by_id=poster.id,
                created_at=created,
                updated_at=updated or created,
            )
        )

    async def request(
        self,
        offer: PlacementOffer,
        hei: Organisation,
        students: int = 1,
        status: str = "pending",
        marks_offer: bool = False,
        created: datetime | None = None,
    ) -> PlacementRequest:
        """An HEI's request; `marks_offer` also moves the offer to `requested`, as asking does."""
        async with self.sessions.begin() as session:
            request = PlacementRequest(
                offer_id=offer.id,
                hei_id=hei.id,
                students=students,
                status=status,
                created_at=created or self.now(),
            )
            session.add(request)
            if marks_offer:
                await session.execute(
                    update(PlacementOffer)
                    .where(PlacementOffer.id == offer.id)
                    .values(status="requested", version=PlacementOffer.version + 1)
                )
        return request

    async def answer(
        self,
        block: PlacementBlock,
        answer: str,
        person: Person,
        team: Team | None = None,
        ask_again_on: date | None = None,
        answered_at: datetime | None = None,
    ) -> CapacityAnswer:
        """A capacity answer for the block, from the team (or the person, without one)."""
        return await self._one(
            CapacityAnswer(
                block_id=block.id,
                respondent_key=f"team:{team.id}" if team else f"person:{person.id}",
                team_id=team.id if team else None,
                person_id=person.id,
                answer=answer,
                ask_again_on=ask_again_on,
                answered_at=answered_at or self.now(),
            )
        )

    async def training(
        self,
        title: str,
        starts: datetime,
        professions: Iterable[str] = (),
        hours: float = 1,
        organiser: str = "University of Nottingham",
        booking: str | None = "https://events.example.org/book",
        mode: str = "online",
    ) -> TrainingEvent:
        """An educator training event; no professions means it is for every profession."""
        return await self._one(
            TrainingEvent(
                uid=f"event-{self.number()}",
                title=title,
                organiser=organiser,
                professions=join_codes(tuple(professions)),
                starts_at=starts,
                ends_at=starts + timedelta(hours=hours),
                mode=mode,
                booking=booking,
                created_at=self.now(),
                updated_at=self.now(),
            )
        )

    async def target(
        self, profession: str, academic_year: str, extra: int, baseline: int | None = None
    ) -> Target:
        return await self._one(
            Target(
                profession=profession,
                academic_year=academic_year,
                extra_placements=extra,
                baseline=baseline,
            )
        )

    # What happened before the test: nudges sent, messages delivered or not

    async def nudge(
        self,
        person: Person | int,
        kind: str,
        subject: str,
        sent: datetime,
        outcome: str = "open",
        settled: datetime | None = None,
    ) -> Nudge:
        return await self._one(
            Nudge(
                person_id=person if isinstance(person, int) else person.id,
                kind=kind,
                subject=subject,
                sent_on=sent.date(),
                sent_at=sent,
                outcome=outcome,
                settled_at=settled,
            )
        )

    async def delivery(
        self,
        person: Person | int,
        message: Reply | str,
        key: str,
        status: str,
        created: datetime,
        channel: str = "local",
        attempts: int = 1,
        error: str | None = None,
        sent_at: datetime | None = None,
    ) -> Delivery:
        """An outbox row from before the test (e.g. last Friday's nudge, a failed send)."""
        reply = Reply(text=message) if isinstance(message, str) else message
        return await self._one(
            Delivery(
                recipient_id=person if isinstance(person, int) else person.id,
                channel=channel,
                message=reply.to_dict(),
                dedupe_key=key,
                status=status,
                attempts=attempts,
                next_attempt_at=created,
                last_error=error,
                created_at=created,
                sent_at=sent_at,
            )
        )
