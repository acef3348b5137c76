"""Erasing a person: their personal data removed or pseudonymised, the register kept whole.

The person's row stays, emptied, so that the offers they posted, the blocks they created and the
requests they decided still stand (credited to the team in the row's new name) and the register's
history adds up. Their identities, conversation references, roles, membership claims, nudges and
commands not yet worked are deleted; messages to them lose their content; audit events keep the
action but not the actor, and lose the before and after of their own profile. Whatever still
names them anywhere (their name in a message to a coordinator, their email in an audit
reference, the Slack handle a colleague typed into an offer) is replaced by `[erased]`
(`bot.privacy.mentions`). The erasure is audited with counts only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update

from bot.faculty.lookups import person_by_email
from bot.faculty.validate import email as valid_email
from bot.kernel import audit
from bot.kernel.context import Context
from bot.kernel.errors import NotFound
from bot.privacy import mentions
from storage.tables import (
    AuditEvent,
    ConversationReference,
    Delivery,
    Identity,
    InboundCommand,
    MembershipClaim,
    Nudge,
    PendingOffer,
    Person,
    Team,
)

log = logging.getLogger(__name__)
ERASED_MESSAGE: dict[str, Any] = {"text": mentions.REPLACEMENT}


@dataclass
class Erased:
    """What an erasure did, as counts by kind: nothing in it names the person."""

    person_id: int
    counts: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        done = ", ".join(f"{n} {what}" for what, n in self.counts.items() if n) or "nothing else"
        return f"Erased person {self.person_id}: {done}."


async def find_person(ctx: Context, email: str) -> Person:
    """The person with this work email, or NotFound saying how to find them."""
    address = valid_email(email)
    person = await person_by_email(ctx, address)
    if person is None:
        raise NotFound(
            f"No one with the work email {address} is known (already erased, or never met). "
            "Check the address, e.g. in `admin people`.",
            field="email",
        )
    return person


def _reference_ids(reference: dict[str, Any]) -> list[str]:
    """The ids in a conversation reference that are the person's own (not the bot's or the
    tenant's): their user id, name and object id, their 1:1 conversation, their DM channel."""
    found: list[str] = []
    user = reference.get("user")
    if isinstance(user, dict):
        found += [str(user[k]) for k in ("id", "name", "aadObjectId") if user.get(k)]
    elif isinstance(user, str):
        found.append(user)
    conversation = reference.get("conversation")
    if isinstance(conversation, dict) and conversation.get("id"):
        found.append(str(conversation["id"]))
    if isinstance(reference.get("channel"), str):
        found.append(reference["channel"])
    return found


async def platform_ids(ctx: Context, person: Person) -> list[str]:
    """The ids the chat platforms know the person by: only they send a command carrying these
    (not an email address, which a lead types in `admin person export ADDRESS`)."""
    known = await ctx.session.execute(
        select(Identity.external_id).where(
            Identity.person_id == person.id, Identity.platform != "email"
        )
    )
    return mentions.needles(known.scalars())


async def _drop_unworked_commands(ctx: Context, ids: list[str]) -> int:
    """Commands they sent that no process has worked yet. Rewritten, one would run as someone
    called [erased] and meet them as a new person; worked, it would bring back what was erased.
    (A command held by a process at this moment still runs: it meets them as someone new.)"""
    held = await mentions.find(ctx.session, ids, tables={InboundCommand.__tablename__})
    if not held:
        return 0
    rows = [mention.key["id"] for mention in held]
    return await _count(ctx, delete(InboundCommand).where(InboundCommand.id.in_(rows)))


async def identifiers(ctx: Context, person: Person) -> list[str]:
    """Everything that names the person: email, display name, platform ids, and the names the
    platforms showed for them (a Slack handle someone typed as `@jo.bloggs` in an offer)."""
    session = ctx.session
    ids: list[str] = []
    known = await session.execute(
        select(Identity.external_id, Identity.names).where(Identity.person_id == person.id)
    )
    for external_id, names in known:
        ids += [external_id, *(name for name in names or () if isinstance(name, str))]
    references = (
        await session.execute(
            select(ConversationReference.reference).where(
                ConversationReference.person_id == person.id
            )
        )
    ).scalars()
    for reference in references:
        ids += _reference_ids(reference)
    return mentions.needles([person.email, person.display_name, *ids])


async def _count(ctx: Context, statement: Any) -> int:
    result = await ctx.session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


async def erase(ctx: Context, email: str) -> Erased:
    """Erase the person with this work email, in the caller's transaction."""
    return await erase_person(ctx, await find_person(ctx, email))


async def erase_person(ctx: Context, person: Person) -> Erased:
    """Erase this person, in the caller's transaction."""
    found = await identifiers(ctx, person)
    unworked = await _drop_unworked_commands(ctx, await platform_ids(ctx, person))
    own_refs = [str(person.id), *([person.email] if person.email else [])]
    pid = person.id
    team = await ctx.session.get(Team, person.team_id) if person.team_id else None
    counts: dict[str, int] = {}
    counts["commands not yet worked"] = unworked
    counts["identities"] = await _count(ctx, delete(Identity).where(Identity.person_id == pid))
    counts["conversation references"] = await _count(
        ctx, delete(ConversationReference).where(ConversationReference.person_id == pid)
    )
    counts["roles"] = len(person.roles)
    person.roles.clear()
    counts["membership claims"] = await _count(
        ctx, delete(MembershipClaim).where(MembershipClaim.person_id == pid)
    )
    await ctx.session.execute(
        update(MembershipClaim).where(MembershipClaim.decided_by_id == pid).values(
            decided_by_id=None)
    )  # fmt: skip
    counts["nudges"] = await _count(ctx, delete(Nudge).where(Nudge.person_id == pid))
    counts["offer readings"] = await _count(
        ctx, delete(PendingOffer).where(PendingOffer.person_id == pid)
    )  # lines they typed, waiting for Post: theirs alone, not the register
    await ctx.session.execute(
        update(Delivery)
        .where(Delivery.recipient_id == pid, Delivery.status.in_(("pending", "sending")))
        .values(status="cancelled")
    )
    counts["messages emptied"] = await _count(
        ctx,
        update(Delivery)
        .where(Delivery.recipient_id == pid)
        .values(message=ERASED_MESSAGE, last_error=None),
    )
    await ctx.session.execute(
        update(AuditEvent)
        .where(AuditEvent.entity == "person", AuditEvent.entity_ref.in_(own_refs))
        .values(before=None, after=None)
    )
    counts["audit events made anonymous"] = await _count(
        ctx, update(AuditEvent).where(AuditEvent.actor_id == pid).values(actor_id=None)
    )
    _empty(person, team)
    await ctx.session.flush()
    scrubbed = await mentions.replace(ctx.session, found)
    counts["other records rewritten"] = sum(scrubbed.values())
    audit.record(ctx, "person.erase", "person", str(pid), None, {"counts": counts})
    await ctx.session.flush()
    log.info("person %d erased: %s", pid, counts)
    return Erased(pid, counts)


def _empty(person: Person, team: Team | None) -> None:
    """The row kept for the register's sake: no name, no contact, no preferences, never
    reached again (no identity, no role, nudges and digests off)."""
    person.display_name = f"Former member of {team.name}" if team else "Former member (erased)"
    person.email = None
    person.organisation_id = None
    person.team_id = None
    person.professions = ""
    person.preferred_channel = None
    person.snoozed_until = None
    person.opted_out = True
    person.paused = True
    person.ignored_nudges = 0
    person.digest_frequency = "off"
    person.last_digest_at = None
    person.summary_stopped = True
