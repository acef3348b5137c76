"""The placement register's tables: people, organisations, offers, requests, blocks, training,
nudges, the outbox, schedules and audit, as SQLAlchemy 2 typed models."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.lifecycle import OfferStatus, RequestStatus
from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class Organisation(Base):
    """An HEI (keyed by UKPRN) or a placement provider (keyed by ODS code)."""

    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint("kind IN ('hei', 'provider')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200), unique=True)
    ukprn: Mapped[str | None] = mapped_column(String(8), unique=True)
    ods_code: Mapped[str | None] = mapped_column(String(10), unique=True)
    provider_type: Mapped[str | None] = mapped_column(String(32))
    professions: Mapped[str] = mapped_column(String(200), default="")  # HEI: codes it trains
    created_at: Mapped[datetime]


class EmailDomain(Base):
    """A domain that identifies one provider's staff (e.g. nuh.nhs.uk); never a shared one."""

    __tablename__ = "email_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    domain: Mapped[str] = mapped_column(String(253), unique=True)


class Site(Base):
    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(200))
    ods_code: Mapped[str | None] = mapped_column(String(10), unique=True)

    organisation: Mapped[Organisation] = relationship(lazy="raise")


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    name: Mapped[str] = mapped_column(String(200))
    professions: Mapped[str] = mapped_column(String(200), default="")

    organisation: Mapped[Organisation] = relationship(lazy="raise")
    site: Mapped[Site | None] = relationship(lazy="joined")


class Person(Base):
    """Someone the bot has met. Work contact details only: never students or patients."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    professions: Mapped[str] = mapped_column(String(200), default="")
    # Notification preferences, used by nudges and digests.
    preferred_channel: Mapped[str | None] = mapped_column(String(16))
    working_days: Mapped[str] = mapped_column(String(7), default="12345")  # ISO weekdays
    work_starts: Mapped[time] = mapped_column(Time, default=time(9, 0))
    work_ends: Mapped[time] = mapped_column(Time, default=time(17, 0))
    snoozed_until: Mapped[date | None] = mapped_column(Date)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    ignored_nudges: Mapped[int] = mapped_column(Integer, default=0)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # HEI leads: "daily", "weekly" or "off"; the digest covers changes since `last_digest_at`.
    digest_frequency: Mapped[str] = mapped_column(String(8), default="weekly")
    last_digest_at: Mapped[datetime | None]
    # Faculty leads: the weekly summary comes unless they stopped it (`digest summary off`).
    summary_stopped: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime]

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    team: Mapped[Team | None] = relationship(lazy="joined")
    roles: Mapped[list[RoleGrant]] = relationship(lazy="joined", cascade="all, delete-orphan")


class RoleGrant(Base):
    """A role a person holds, scoped to an organisation where the role needs one."""

    __tablename__ = "role_grants"
    __table_args__ = (
        UniqueConstraint("person_id", "role", "organisation_id"),
        CheckConstraint(
            "role IN ('clinician', 'coordinator', 'hei_lead', 'faculty_lead')", name="role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    role: Mapped[str] = mapped_column(String(16))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))


class Identity(Base):
    """How a person is known on one platform: Slack team+user, Teams tenant+AAD id, email, local."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "tenant", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    tenant: Mapped[str] = mapped_column(String(64), default="")
    external_id: Mapped[str] = mapped_column(String(320))
    # The names the platform shows for them (a Slack handle and display name, a Teams name),
    # which others may type in an offer: kept so that an erasure finds them there.
    names: Mapped[list[str] | None] = mapped_column(JSON)


class MembershipClaim(Base):
    """Someone saying they work in a team (or at a provider), until its coordinator or the faculty
    lead confirms them, or says not ours. Their offers naming it are held meanwhile."""

    __tablename__ = "membership_claims"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'confirmed', 'declined')", name="status"),
        Index("ix_membership_claims_person", "person_id", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))  # None: a site, no team
    place_text: Mapped[str] = mapped_column(String(300))  # what they named, as they typed it
    offer_ref: Mapped[str | None] = mapped_column(String(20))  # None: asked by `placement join`
    status: Mapped[str] = mapped_column(String(16), default="pending")
    asked_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    person: Mapped[Person] = relationship(lazy="joined", foreign_keys=[person_id])
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    team: Mapped[Team | None] = relationship(lazy="joined")


class PlacementBlock(Base):
    """An HEI's window for one profession and cohort, with the students who need placing."""

    __tablename__ = "placement_blocks"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="dates"),
        CheckConstraint("students > 0", name="students"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    hei_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    profession: Mapped[str] = mapped_column(String(8), index=True)
    cohort: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    students: Mapped[int] = mapped_column(Integer)
    offers_close: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    hei: Mapped[Organisation] = relationship(lazy="joined")


class CapacityAnswer(Base):
    """A team's answer to a block. "No capacity" is kept: missing data must not look like zero."""

    __tablename__ = "capacity_answers"
    __table_args__ = (
        UniqueConstraint("block_id", "respondent_key"),
        CheckConstraint("answer IN ('offering', 'maybe', 'no_capacity')", name="answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("placement_blocks.id"))
    # "team:12" when the person has a team, else "person:7": one answer per team per block.
    respondent_key: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    answer: Mapped[str] = mapped_column(String(16))
    ask_again_on: Mapped[date | None] = mapped_column(Date)
    answered_at: Mapped[datetime]


class PlacementOffer(Base):
    """One placement a team offers. The register's central record; HEIs pull it via the API."""

    __tablename__ = "placement_offers"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="dates"),
        CheckConstraint("capacity > 0", name="capacity"),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in OfferStatus) + ")", name="status"
        ),
        Index("ix_placement_offers_updated", "updated_at", "id"),
        Index("ix_placement_offers_profession_start", "profession", "start_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    profession: Mapped[str] = mapped_column(String(8))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    place_text: Mapped[str] = mapped_column(String(300))  # as the clinician typed it
    setting: Mapped[str | None] = mapped_column(String(32))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    capacity: Mapped[int] = mapped_column(Integer)
    supervision_model: Mapped[str | None] = mapped_column(String(16))
    student_level: Mapped[str | None] = mapped_column(String(16))
    educator: Mapped[str | None] = mapped_column(String(200))
    block_id: Mapped[int | None] = mapped_column(ForeignKey("placement_blocks.id"), index=True)
    release_at: Mapped[datetime]
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=OfferStatus.OFFERED.value)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    provider: Mapped[Organisation | None] = relationship(lazy="joined")
    site: Mapped[Site | None] = relationship(lazy="joined")
    team: Mapped[Team | None] = relationship(lazy="joined")
    block: Mapped[PlacementBlock | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class PlacementRequest(Base):
    """An HEI's request for places on an offer; the provider confirms or declines it."""

    __tablename__ = "placement_requests"
    __table_args__ = (
        CheckConstraint("students > 0", name="students"),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in RequestStatus) + ")", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("placement_offers.id"), index=True)
    hei_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    students: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.PENDING.value)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    hei: Mapped[Organisation] = relationship(lazy="joined")


class TrainingEvent(Base):
    """Educator training; `uid` is the iCalendar UID so re-imports update instead of duplicating."""

    __tablename__ = "training_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    organiser: Mapped[str] = mapped_column(String(200))
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    professions: Mapped[str] = mapped_column(String(200), default="")  # "" means every profession
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    mode: Mapped[str] = mapped_column(String(100), default="online")
    location: Mapped[str | None] = mapped_column(String(300))
    booking: Mapped[str | None] = mapped_column(String(500))  # URL or mailto:
    booking_note: Mapped[str | None] = mapped_column(String(300))
    capacity: Mapped[int | None] = mapped_column(Integer)
    resources: Mapped[str | None] = mapped_column(Text)  # links, one per line
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Target(Base):
    """Planned extra placements per profession and academic year (e.g. +39 PT in 2026/27)."""

    __tablename__ = "targets"
    __table_args__ = (
        UniqueConstraint("profession", "academic_year"),
        CheckConstraint("extra_placements >= 0", name="extra_placements"),
        CheckConstraint("baseline IS NULL OR baseline >= 0", name="baseline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    profession: Mapped[str] = mapped_column(String(8))
    academic_year: Mapped[str] = mapped_column(String(7))  # "2026/27"
    extra_placements: Mapped[int] = mapped_column(Integer)
    # Placements a year already had before the extra ones (None: not known yet).
    baseline: Mapped[int | None] = mapped_column(Integer)


class AuditEvent(Base):
    """Who did what to which record, when, through which edge, before and after."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    edge: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_ref: Mapped[str] = mapped_column(String(255))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


class Delivery(Base):
    """The outbox: one message to one person; the unique dedupe key makes re-runs no-ops."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    channel: Mapped[str] = mapped_column(String(16))
    message: Mapped[dict[str, Any]]
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # A try may have reached the person (its sender died mid-send, or the answer never came):
    # the next try asks the channel whether it arrived before sending again.
    maybe_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Never sent after this (a nudge is for that working day only): marked 'expired' instead.
    expires_at: Mapped[datetime | None]
    # The request (or scheduled run) that queued it, so its log lines can be followed to here.
    request_id: Mapped[str | None] = mapped_column(String(40))


class Nudge(Base):
    """One reminder sent to one person; at most one a day each, and each settled as acted or
    ignored so that three ignored in a row pause the person."""

    __tablename__ = "nudges"
    __table_args__ = (
        UniqueConstraint("person_id", "sent_on"),
        CheckConstraint("kind IN ('block', 'offer_start', 'training')", name="kind"),
        CheckConstraint("outcome IN ('open', 'acted', 'ignored', 'info')", name="outcome"),
        Index("ix_nudges_subject", "kind", "subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(255))  # block ref, offer ref or training uid
    sent_on: Mapped[date] = mapped_column(Date)  # the local date: one nudge a person a day
    sent_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(16), default="open")
    settled_at: Mapped[datetime | None]


class ScheduleRun(Base):
    """One run of a scheduled job for one slot, keyed by the slot's local wall-clock time, so a
    slot runs once whatever the number of workers, restarts or clock changes."""

    __tablename__ = "schedule_runs"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    slot: Mapped[str] = mapped_column(String(16), primary_key=True)  # "2026-10-25T01:30"
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    runner: Mapped[str] = mapped_column(String(40), default="")  # the leader's term
    result: Mapped[str | None] = mapped_column(String(200))


class ApiToken(Base):
    """An HEI's bearer token. Only its hash is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    hei_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    label: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class ConversationReference(Base):
    """Where to reach a person proactively (Teams conversation reference, Slack DM channel)."""

    __tablename__ = "conversation_references"
    __table_args__ = (UniqueConstraint("person_id", "platform", "tenant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    platform: Mapped[str] = mapped_column(String(16))
    tenant: Mapped[str] = mapped_column(String(64), default="")
    reference: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class InboundReceipt(Base):
    """Keys of platform deliveries already handled, so retries never act twice, with the answer
    each got, so a retry is answered the same and an answer lost in a crash is sent again."""

    __tablename__ = "inbound_receipts"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    reply: Mapped[dict[str, Any] | None]
    # Where the answer goes when it goes after the acknowledgement (a Slack response_url), and
    # when it went: an answer lost with its process is sent again when the edge starts.
    respond_to: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]


class InboundCommand(Base):
    """A signed command acknowledged before its work ran (the inbox): kept here at once, worked
    from here, and deleted once stored and its answer due (`InboundReceipt` then holds it), so
    what was acknowledged outlives a crash. Claimed for `claimed_until` by the process working
    it, which renews the claim while it works; a stop gives unworked claims back."""

    __tablename__ = "inbound_commands"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)  # the delivery's key
    edge: Mapped[str] = mapped_column(String(16))
    body: Mapped[dict[str, Any]]  # the platform's payload, as verified
    received_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class RefCounter(Base):
    """Per-prefix counters behind public references such as PL-2027-0042."""

    __tablename__ = "ref_counters"

    prefix: Mapped[str] = mapped_column(String(20), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Chart(Base):
    """A chart PlaceBot serves itself (`GET /charts/{id}.png`, by signed link) for clients that
    show images by URL only (Teams cards). Keyed by its PNG's SHA-256, so the chart of a
    summary sent to many leads is kept once; dropped by housekeeping once expired."""

    __tablename__ = "charts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    png: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SendPace(Base):
    """A channel's shared send schedule (a GCRA "theoretical arrival time"): the next free send
    slot, in seconds since the epoch. Every worker reserves its next few slots here, so all of
    them together send at the channel's rate, not that rate each."""

    __tablename__ = "send_paces"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    next_slot: Mapped[float] = mapped_column(Float, default=0.0)


class RateWindow(Base):
    """A register API caller's calls in the current and previous minute-long windows (the
    sliding-window counter), shared by every web process on PostgreSQL."""

    __tablename__ = "rate_windows"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    started: Mapped[float] = mapped_column(Float)  # the current window's start, epoch seconds
    current: Mapped[int] = mapped_column(Integer, default=0)
    previous: Mapped[int] = mapped_column(Integer, default=0)


class PendingOffer(Base):
    """A one-line offer read with a guess (a default place, an assumed year, a relative date)
    or a question (a second identical offer, a model that does not fit), shown to its poster
    with Post and Edit before anything is in the register. Kept here, not in memory, so a
    Post pressed after a restart or on another worker still posts; `posted_at` is claimed once,
    so a double click posts one offer."""

    __tablename__ = "pending_offers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, carried by Post
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    line: Mapped[str] = mapped_column(Text)  # as typed, for the audit of what was read
    draft: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    posted_at: Mapped[datetime | None]
    offer_ref: Mapped[str | None] = mapped_column(String(20))
