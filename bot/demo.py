"""Load the demo once: organisations, people, blocks, targets and re-dated educator training;
for `placebot demo`, a term's offers, answers and requests on top."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.service import answer_block
from bot.kernel import professions
from bot.kernel.academic_year import academic_year
from bot.kernel.clock import Clock
from bot.kernel.context import Context
from bot.kernel.refs import next_ref
from bot.offers.parsing import OfferDraft
from bot.offers.service import create_offer
from bot.requests.form import request_from_form
from bot.requests.service import decide
from bot.training import catalogue as training
from bot.training.events import TrainingData, read_csv
from config import demo
from config.settings import Settings
from storage.tables import (
    EmailDomain,
    Identity,
    Organisation,
    Person,
    PlacementBlock,
    RoleGrant,
    Site,
    Target,
    Team,
)


def next_monday(day: date, weeks: int) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7 or 7) + timedelta(weeks=weeks)


def redated_training(today: date, settings: Settings) -> list[TrainingData]:
    """The real 2020-21 educator events, moved by whole weeks so each series starts next week.

    Whole weeks keep each session's weekday and time; the UID keeps the original date, so the
    demo loaded on another day still names the same events.
    """
    events = read_csv(demo.EDUCATOR_EVENTS_CSV.read_text(), settings.timezone)
    moved: list[TrainingData] = []
    for series in {event.title for event in events}:
        members = sorted((e for e in events if e.title == series), key=lambda e: e.starts_at)
        first = members[0].starts_at.date()
        shift = timedelta(weeks=((today - first).days // 7) + 1)
        for event in members:
            link = demo.BOOKING_LINKS.get(event.organiser)
            moved.append(
                TrainingData(
                    uid=f"demo-{event.uid}",
                    title=event.title.replace("COVID-19 Special: ", ""),
                    organiser=event.organiser,
                    professions=event.professions,
                    starts_at=_shift(event.starts_at, shift),
                    ends_at=_shift(event.ends_at, shift),
                    mode=event.mode,
                    booking=link,
                    booking_note=event.booking_note if link is None else None,
                )
            )
    return moved


def _shift(instant: datetime, by: timedelta) -> datetime:
    # Wall-clock arithmetic in the local zone keeps 15:00 at 15:00 across the clock change.
    return (instant.replace(tzinfo=None) + by).replace(tzinfo=instant.tzinfo)


async def _add_person(
    session: AsyncSession,
    spec: demo.DemoPerson,
    organisations: dict[str, Organisation],
    teams: dict[str, Team],
    now: datetime,
) -> None:
    organisation = organisations.get(spec.organisation or "")
    person = Person(
        display_name=spec.display_name,
        organisation_id=organisation.id if organisation else None,
        team_id=teams[spec.team].id if spec.team else None,
        professions=professions.join_codes(spec.professions),
        preferred_channel="local",
        created_at=now,
        roles=[
            RoleGrant(role=role, organisation_id=organisation.id if organisation else None)
            for role in spec.roles
        ],
    )
    session.add(person)
    await session.flush()
    session.add(Identity(person_id=person.id, platform="local", external_id=spec.key))


async def load(session: AsyncSession, clock: Clock, settings: Settings, term: bool = False) -> bool:
    """Load the demo unless it is there already. True when it loaded. `term` adds a term's
    worth of offers, answers and requests (`placebot demo`; tests start from the bare faculty)."""
    present = await session.scalar(select(Identity).where(Identity.platform == "local").limit(1))
    if present is not None:
        return False
    now, today = clock.now(), clock.today()
    organisations: dict[str, Organisation] = {}
    teams: dict[str, Team] = {}
    for spec in demo.ORGANISATIONS:
        organisation = Organisation(
            kind=spec.kind,
            name=spec.name,
            ukprn=spec.ukprn,
            ods_code=spec.ods_code,
            provider_type=spec.provider_type,
            created_at=now,
        )
        session.add(organisation)
        await session.flush()
        organisations[spec.key] = organisation
        session.add_all(
            EmailDomain(organisation_id=organisation.id, domain=domain)
            for domain in spec.email_domains
        )
        sites = {}
        for name, code in spec.sites:
            sites[name] = Site(organisation_id=organisation.id, name=name, ods_code=code)
            session.add(sites[name])
        await session.flush()
        for team in spec.teams:
            teams[team.name] = Team(
                organisation_id=organisation.id,
                site_id=sites[team.site].id,
                name=team.name,
                professions=professions.join_codes(team.professions),
            )
            session.add(teams[team.name])
    await session.flush()
    for spec in demo.PEOPLE:
        await _add_person(session, spec, organisations, teams, now)
    for block in demo.BLOCKS:
        start = next_monday(today, block.starts_in_weeks)
        end = start + timedelta(weeks=block.length_weeks) - timedelta(days=3)
        session.add(
            PlacementBlock(
                ref=await next_ref(session, f"BL-{start.year}"),
                hei_id=organisations[block.hei].id,
                profession=block.profession,
                cohort=block.cohort,
                start_date=start,
                end_date=end,
                students=block.students,
                offers_close=start - timedelta(weeks=block.close_weeks_before),
                created_at=now,
                updated_at=now,
            )
        )
    year = academic_year(today).label
    for code, extra in demo.TARGETS.items():
        session.add(Target(profession=code, academic_year=year, extra_placements=extra))
    await session.flush()
    ctx = Context(session, None, clock, settings, "system")
    await training.upsert(ctx, redated_training(today, settings))
    if term:
        for spec in demo.TERM_PEOPLE:
            await _add_person(session, spec, organisations, teams, now)
        await session.flush()
        await load_term(ctx)
    return True


async def _as(ctx: Context, key: str) -> Context:
    """The context of the demo person with this local identity, as if they spoke."""
    person = (
        (
            await ctx.session.execute(
                select(Person)
                .join(Identity, Identity.person_id == Person.id)
                .where(Identity.platform == "local", Identity.external_id == key)
                .execution_options(populate_existing=True)
            )
        )
        .unique()
        .scalar_one()
    )
    return Context(ctx.session, person, ctx.clock, ctx.settings, "local")


async def load_term(ctx: Context) -> None:
    """Offers, answers and requests made through the services people use, so each lead's view
    shows what the bot would really show: places against blocks, who answered, what is asked."""
    today = ctx.clock.today()
    blocks = {
        block.cohort: block.ref
        for block in (await ctx.session.execute(select(PlacementBlock))).scalars()
    }
    offers: dict[str, str] = {}
    for spec in demo.TERM_OFFERS:
        start = next_monday(today, spec.starts_in_weeks)
        draft = OfferDraft(
            profession=spec.profession,
            start=start,
            end=start + timedelta(weeks=spec.length_weeks) - timedelta(days=3),
            capacity=spec.capacity,
            place=spec.team,
            block_ref=blocks[spec.block] if spec.block else "",
            notes=spec.notes,
        )
        offers[spec.key] = (await create_offer(await _as(ctx, spec.poster), draft)).ref
    for answer in demo.TERM_ANSWERS:
        again = next_monday(today, answer.ask_again_in_weeks) if answer.ask_again_in_weeks else None
        await answer_block(
            await _as(ctx, answer.person), blocks[answer.block], answer.answer, again
        )
    posters = {spec.key: spec.poster for spec in demo.TERM_OFFERS}
    for asked in demo.TERM_REQUESTS:
        lead = await _as(ctx, asked.lead)
        values = {"ref": offers[asked.offer], "students": str(asked.students), "note": asked.note}
        made, _said = await request_from_form(lead, values)
        if asked.outcome:
            poster = await _as(ctx, posters[asked.offer])
            await decide(poster, offers[asked.offer], asked.outcome == "confirm", made.id)
