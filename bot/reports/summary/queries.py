"""The weekly summary's figures, for the academic year and week containing the slot's local date:

- Academic year: 1 September to 31 August, the one containing the date (label "2026/27",
  `bot.kernel.academic_year`).
- Per profession: placements confirmed or completed against baseline + target, places offered
  beside them, offers, students, student-weeks and block demand (`bot.reports.summary.progress`).
- New this week: offers and students created in the 7 days up to the slot.
- Nudges this week: sent in the 7 days up to the slot; acted on and ignored, settled in them.
- Paused people: everyone with `paused` set (three ignored nudges in a row).
- Silent teams: provider teams, one of whose people was sent a nudge asking for action (kind
  `block` or `offer_start`, not `training`) this term, and which since the term began have
  neither answered any block (offering, maybe or no capacity all count) nor posted an offer.
  Terms: autumn 1 September to 31 December, spring 1 January to 31 March, summer 1 April to
  31 August.
- Undelivered: outbox rows parked as failed that were queued in the 7 days up to the slot, the
  count and the latest few (an expired or cancelled nudge was meant not to go: not counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.academic_year import AcademicYear, academic_year
from bot.reports.summary import progress
from bot.reports.summary.progress import Progress
from storage.tables import (
    CapacityAnswer,
    Delivery,
    Nudge,
    Organisation,
    Person,
    PlacementOffer,
    Team,
)

WEEK = timedelta(days=7)
FAILED_SHOWN = 3


def term_start(day: date) -> date:
    if day.month >= 9:
        return date(day.year, 9, 1)
    return date(day.year, 1, 1) if day.month <= 3 else date(day.year, 4, 1)


@dataclass(frozen=True)
class Failed:
    recipient: str
    channel: str
    error: str
    queued_at: datetime


@dataclass(frozen=True)
class Summary:
    year: AcademicYear
    week_from: datetime
    week_to: datetime
    professions: tuple[Progress, ...]
    new_offers: int
    new_students: int
    nudges_sent: int
    nudges_acted: int
    nudges_ignored: int
    paused: tuple[str, ...]
    silent_teams: tuple[str, ...]
    failed: int
    failed_latest: tuple[Failed, ...]

    @property
    def confirmed(self) -> int:
        return sum(p.confirmed for p in self.professions)

    @property
    def offered(self) -> int:
        return sum(p.offered for p in self.professions)


async def _nudges(
    session: AsyncSession, week_from: datetime, week_to: datetime
) -> tuple[int, int, int]:
    def settled(outcome: str):  # type: ignore[no-untyped-def]
        return func.sum(
            case(
                (
                    and_(
                        Nudge.outcome == outcome,
                        Nudge.settled_at > week_from,
                        Nudge.settled_at <= week_to,
                    ),
                    1,
                ),
                else_=0,
            )
        )

    sent = func.sum(case((and_(Nudge.sent_at > week_from, Nudge.sent_at <= week_to), 1), else_=0))
    row = (
        await session.execute(
            select(sent, settled("acted"), settled("ignored")).where(
                (Nudge.sent_at > week_from) | (Nudge.settled_at > week_from)
            )
        )
    ).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


async def _silent_teams(session: AsyncSession, since_day: date, since: datetime) -> list[str]:
    nudged = (
        select(Person.team_id)
        .join(Nudge, Nudge.person_id == Person.id)
        .where(
            Nudge.sent_on >= since_day,
            Nudge.kind.in_(("block", "offer_start")),
            Person.team_id.is_not(None),
        )
    )
    answered = select(CapacityAnswer.team_id).where(
        CapacityAnswer.answered_at >= since, CapacityAnswer.team_id.is_not(None)
    )
    posted = select(PlacementOffer.team_id).where(
        PlacementOffer.created_at >= since, PlacementOffer.team_id.is_not(None)
    )
    rows = await session.execute(
        select(Team.name, Organisation.name)
        .join(Organisation, Organisation.id == Team.organisation_id)
        .where(
            Organisation.kind == "provider",
            Team.id.in_(nudged),
            Team.id.not_in(answered),
            Team.id.not_in(posted),
        )
        .order_by(Organisation.name, Team.name)
    )
    return [f"{team}, {provider}" for team, provider in rows]


async def _failed(
    session: AsyncSession, week_from: datetime, week_to: datetime
) -> tuple[int, list[Failed]]:
    this_week = (
        Delivery.status == "failed",
        Delivery.created_at > week_from,
        Delivery.created_at <= week_to,
    )
    count = await session.scalar(select(func.count(Delivery.id)).where(*this_week))
    rows = await session.execute(
        select(Person.display_name, Delivery.channel, Delivery.last_error, Delivery.created_at)
        .join(Person, Person.id == Delivery.recipient_id)
        .where(*this_week)
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
        .limit(FAILED_SHOWN)
    )
    return int(count or 0), [
        Failed(n, c, (e or "no reason recorded")[:200], at) for n, c, e, at in rows
    ]


@dataclass(frozen=True)
class Attention:
    """What needs the faculty lead: silent teams this term, messages undelivered this week."""

    silent_teams: tuple[str, ...]
    failed: int
    failed_latest: tuple[Failed, ...]


async def attention(session: AsyncSession, slot: datetime, zone: tzinfo) -> Attention:
    """Silent teams of the term and undelivered messages of the week up to `slot`."""
    starts = term_start(slot.astimezone(zone).date())
    term_from = datetime.combine(starts, time(0), tzinfo=zone)
    failed, latest = await _failed(session, slot - WEEK, slot)
    silent = await _silent_teams(session, starts, term_from)
    return Attention(tuple(silent), failed, tuple(latest))


async def compose(session: AsyncSession, slot: datetime, zone: tzinfo) -> Summary:
    """The week's summary up to `slot`, for the academic year containing its local date."""
    today = slot.astimezone(zone).date()
    year = academic_year(today)
    week_from = slot - WEEK
    professions = await progress.professions(session, year, week_from, slot)
    sent, acted, ignored = await _nudges(session, week_from, slot)
    paused = await session.execute(
        select(Person.display_name).where(Person.paused.is_(True)).order_by(Person.display_name)
    )
    needs = await attention(session, slot, zone)
    return Summary(
        year=year,
        week_from=week_from,
        week_to=slot,
        professions=professions,
        new_offers=sum(p.new_offers for p in professions),
        new_students=sum(p.new_students for p in professions),
        nudges_sent=sent,
        nudges_acted=acted,
        nudges_ignored=ignored,
        paused=tuple(paused.scalars()),
        silent_teams=needs.silent_teams,
        failed=needs.failed,
        failed_latest=needs.failed_latest,
    )
