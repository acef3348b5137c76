"""Rows written straight into the register, with the dates and stamps a test needs.

The digest and summary tests look at the register as it stands at a moment (offers changed
three days ago, a nudge ignored last week), which the chat cannot make with a fixed clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count

from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.professions import join_codes
from storage.tables import (
    Identity,
    Organisation,
    Person,
    PlacementBlock,
    PlacementOffer,
    RoleGrant,
    Site,
    Team,
)

LONG_AGO = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
_NUMBERS = count(1)  # references stay unique however many Seeds a test makes


class Seed:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._numbers = _NUMBERS
        self._poster: int | None = None

    async def add(self, row: object) -> object:
        self.session.add(row)
        await self.session.flush()
        return row

    async def hei(self, name: str, professions: tuple[str, ...] = ()) -> Organisation:
        hei = Organisation(
            kind="hei", name=name, professions=join_codes(professions), created_at=LONG_AGO
        )
        await self.add(hei)
        return hei

    async def provider(self, name: str) -> Organisation:
        provider = Organisation(kind="provider", name=name, created_at=LONG_AGO)
        await self.add(provider)
        return provider

    async def team(self, provider: Organisation, name: str) -> Team:
        site = Site(organisation_id=provider.id, name=f"{name} site")
        await self.add(site)
        team = Team(organisation_id=provider.id, site_id=site.id, name=name)
        await self.add(team)
        return team

    async def person(
        self,
        name: str,
        role: str | None = None,
        organisation: Organisation | None = None,
        professions: tuple[str, ...] = (),
        team: Team | None = None,
        reachable: bool = True,
        **preferences: object,
    ) -> Person:
        person = Person(
            display_name=name,
            organisation_id=organisation.id if organisation else None,
            team_id=team.id if team else None,
            professions=join_codes(professions),
            created_at=LONG_AGO,
            roles=[RoleGrant(role=role, organisation_id=organisation.id if organisation else None)]
            if role
            else [],
            **preferences,
        )
        await self.add(person)
        if reachable:
            await self.add(Identity(person_id=person.id, platform="local", external_id=name))
        return person

    async def poster(self) -> int:
        if self._poster is None:
            self._poster = (await self.person("Poster", "clinician", reachable=False)).id
        return self._poster

    async def offer(
        self,
        profession: str,
        start: date,
        end: date,
        capacity: int = 1,
        status: str = "offered",
        created: datetime = LONG_AGO,
        updated: datetime | None = None,
        team: Team | None = None,
        block: PlacementBlock | None = None,
    ) -> PlacementOffer:
        poster = await self.poster()
        offer = PlacementOffer(
            ref=f"PL-{start.year}-{next(self._numbers):04d}",
            profession=profession,
            provider_id=team.organisation_id if team else None,
            site_id=team.site_id if team else None,
            team_id=team.id if team else None,
            place_text=f"Ward {next(self._numbers)}",
            start_date=start,
            end_date=end,
            capacity=capacity,
            block_id=block.id if block else None,
            release_at=created,
            status=status,
            created_by_id=poster,
            updated_by_id=poster,
            created_at=created,
            updated_at=updated or created,
        )
        await self.add(offer)
        return offer

    async def block(
        self,
        hei: Organisation,
        profession: str,
        start: date,
        students: int,
        offers_close: date,
        weeks: int = 6,
    ) -> PlacementBlock:
        block = PlacementBlock(
            ref=f"BL-{start.year}-{next(self._numbers):04d}",
            hei_id=hei.id,
            profession=profession,
            cohort=f"{profession} year 2",
            start_date=start,
            end_date=start + timedelta(weeks=weeks) - timedelta(days=3),
            students=students,
            offers_close=offers_close,
            created_at=LONG_AGO,
            updated_at=LONG_AGO,
        )
        await self.add(block)
        return block
