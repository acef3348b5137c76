"""Everything held about one person, as one JSON document (a subject access request's answer).

It reads the rows that belong to the person (profile, identities, roles, claims, offers, blocks,
answers, requests, nudges, deliveries, audit events) and then, generically, lists every other row
whose text still names them (`bot.privacy.mentions`), so nothing held is left out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, or_, select

from bot.kernel import audit
from bot.kernel.context import Context
from bot.privacy import mentions
from bot.privacy.erase import find_person, identifiers
from storage.tables import (
    AuditEvent,
    CapacityAnswer,
    ConversationReference,
    Delivery,
    Identity,
    MembershipClaim,
    Nudge,
    Organisation,
    PendingOffer,
    PlacementBlock,
    PlacementOffer,
    PlacementRequest,
)

FORMAT = "placebot.person-export/1"
NUDGE_STATE = (
    "opted_out", "paused", "snoozed_until", "ignored_nudges", "working_days", "work_starts",
    "work_ends", "preferred_channel",
)  # fmt: skip


async def _all(ctx: Context, query: Select[Any]) -> list[dict[str, Any]]:
    rows = (await ctx.session.execute(query)).unique().scalars()
    return [audit.snapshot(row) for row in rows]


async def _org_name(ctx: Context, organisation_id: int | None) -> str | None:
    if organisation_id is None:
        return None
    found = await ctx.session.get(Organisation, organisation_id)
    return found.name if found else None


async def export(ctx: Context, email: str) -> dict[str, Any]:
    """The document for the person with this work email (NotFound if none)."""
    person = await find_person(ctx, email)
    pid = person.id
    own_refs = [str(pid), *([person.email] if person.email else [])]
    profile = audit.snapshot(person) | {
        "organisation": person.organisation.name if person.organisation else None,
        "team": person.team.name if person.team else None,
    }
    roles = [
        {"role": grant.role, "organisation": await _org_name(ctx, grant.organisation_id)}
        for grant in person.roles
    ]
    made = select(AuditEvent.entity_ref).where(
        AuditEvent.actor_id == pid, AuditEvent.action == "request.create"
    )
    made_refs = set((await ctx.session.execute(made)).scalars())
    by_offer = await _all(
        ctx, select(PlacementOffer).where(PlacementOffer.created_by_id == pid).order_by("id")
    )
    document: dict[str, Any] = {
        "format": FORMAT,
        "exported_at": ctx.clock.now().isoformat(),
        "profile": profile,
        "nudge_state": {key: profile[key] for key in NUDGE_STATE},
        "identities": await _all(ctx, select(Identity).where(Identity.person_id == pid)),
        "conversation_references": await _all(
            ctx, select(ConversationReference).where(ConversationReference.person_id == pid)
        ),
        "roles": roles,
        "membership_claims": await _all(
            ctx,
            select(MembershipClaim)
            .where(or_(MembershipClaim.person_id == pid, MembershipClaim.decided_by_id == pid))
            .order_by(MembershipClaim.id),
        ),
        "offers_posted": by_offer,
        "blocks_created": await _all(
            ctx, select(PlacementBlock).where(PlacementBlock.created_by_id == pid)
        ),
        "capacity_answers": await _all(
            ctx, select(CapacityAnswer).where(CapacityAnswer.person_id == pid)
        ),
        "requests_made": await _requests_made(ctx, made_refs),
        "requests_decided": await _all(
            ctx, select(PlacementRequest).where(PlacementRequest.decided_by_id == pid)
        ),
        "nudges": await _all(ctx, select(Nudge).where(Nudge.person_id == pid).order_by(Nudge.id)),
        "offer_readings": await _all(
            ctx, select(PendingOffer).where(PendingOffer.person_id == pid).order_by("created_at")
        ),
        "deliveries": await _all(
            ctx, select(Delivery).where(Delivery.recipient_id == pid).order_by(Delivery.id)
        ),
        "audit_events": await _all(
            ctx,
            select(AuditEvent)
            .where(
                or_(
                    AuditEvent.actor_id == pid,
                    and_(AuditEvent.entity == "person", AuditEvent.entity_ref.in_(own_refs)),
                )
            )
            .order_by(AuditEvent.id),
        ),
    }
    found = await identifiers(ctx, person)
    document["mentioned_elsewhere"] = await _elsewhere(ctx, document, found)
    return document


async def _requests_made(ctx: Context, refs: set[str]) -> list[dict[str, Any]]:
    """Requests have no requester column: the audit's `request.create` names who asked."""
    found = []
    for ref in sorted(refs):  # "PL-2027-0042#3": the offer's ref and the request's id
        _offer, _sep, number = ref.rpartition("#")
        if number.isdigit() and (request := await ctx.session.get(PlacementRequest, int(number))):
            found.append(audit.snapshot(request) | {"ref": ref})
    return found


_LISTED = {
    "audit_events": AuditEvent,
    "deliveries": Delivery,
    "offers_posted": PlacementOffer,
    "membership_claims": MembershipClaim,
    "identities": Identity,
    "conversation_references": ConversationReference,
}


async def _elsewhere(
    ctx: Context, document: dict[str, Any], found: list[str]
) -> list[dict[str, Any]]:
    """Rows not already in the document whose text names the person."""
    shown = {
        (model.__tablename__, row["id"])
        for section, model in _LISTED.items()
        for row in document[section]
    }
    listed = []
    for mention in await mentions.find(ctx.session, found):
        if mention.table == "people":
            continue
        if (mention.table, mention.key.get("id")) in shown:
            continue
        listed.append(
            {"table": mention.table, "key": mention.key, "columns": list(mention.columns)}
        )
    return listed


def summary(document: dict[str, Any]) -> list[tuple[str, int]]:
    """How many of each section, for a short answer in chat."""
    return [
        (section.replace("_", " "), len(value))
        for section, value in document.items()
        if isinstance(value, list)
    ]
