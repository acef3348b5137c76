"""Where to reach each person proactively, kept in the database so it survives restarts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.kernel.context import Context
from storage.tables import ConversationReference


async def remember(ctx: Context, platform: str, tenant: str, reference: dict[str, Any]) -> None:
    """Keep the latest reference for this person on this platform (one row, updated in place)."""
    person = ctx.require_person()
    found = (
        await ctx.session.execute(
            select(ConversationReference).where(
                ConversationReference.person_id == person.id,
                ConversationReference.platform == platform,
                ConversationReference.tenant == tenant,
            )
        )
    ).scalar_one_or_none()
    if found is None:
        ctx.session.add(
            ConversationReference(
                person_id=person.id,
                platform=platform,
                tenant=tenant,
                reference=reference,
                updated_at=ctx.clock.now(),
            )
        )
    elif found.reference != reference:
        found.reference = reference
        found.updated_at = ctx.clock.now()
    await ctx.session.flush()


async def reference_for(ctx: Context, person_id: int, platform: str) -> dict[str, Any] | None:
    found = (
        await ctx.session.execute(
            select(ConversationReference.reference)
            .where(
                ConversationReference.person_id == person_id,
                ConversationReference.platform == platform,
            )
            .order_by(ConversationReference.updated_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return dict(found) if found else None
