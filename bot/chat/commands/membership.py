"""`placement join TEAM`, and the Confirm member / Not ours buttons its coordinator is sent."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.kernel.context import Context
from bot.kernel.errors import NotFound, UserError
from bot.kernel.messages import Reply
from bot.membership import claims
from bot.membership.messages import place_of, who
from storage.tables import Organisation, Team

JOIN_EXAMPLE = "placement join Ward 12 Orthopaedics at Nottingham University Hospitals"


async def _teams_named(ctx: Context, name: str, provider: str) -> list[Team]:
    statement = select(Team).join(Organisation, Organisation.id == Team.organisation_id)
    if provider:
        statement = statement.where(func.lower(Organisation.name).contains(provider.lower()))
    exact = statement.where(func.lower(Team.name) == name.lower())
    found = list((await ctx.session.execute(exact.order_by(Team.id))).unique().scalars())
    if found:
        return found
    loose = statement.where(func.lower(Team.name).contains(name.lower()))
    return list((await ctx.session.execute(loose.order_by(Team.id).limit(6))).unique().scalars())


async def find_team(ctx: Context, text: str) -> Team:
    """The one team `text` names: "Ward 12", or "Ward 12 at PROVIDER" when names repeat."""
    cleaned = " ".join(text.split())[:200]
    if not cleaned:
        raise UserError("Which team? Give its name.", example=JOIN_EXAMPLE)
    parts = re.split(r"\s+at\s+", cleaned, maxsplit=1, flags=re.I)
    name, provider = parts[0], parts[1] if len(parts) > 1 else ""
    teams = await _teams_named(ctx, name, provider)
    if not teams and provider:  # "at" may be part of the team's own name
        teams = await _teams_named(ctx, cleaned, "")
    if not teams:
        raise NotFound(
            f"I don't know a team called “{cleaned[:80]}”. Check the name with your "
            "practice-education coordinator; they (or the faculty lead) can add it.",
        )
    if len(teams) > 1:
        names = "; ".join(f"{t.name} at {await _provider_name(ctx, t)}" for t in teams[:5])
        raise UserError(
            f"More than one team matches “{cleaned[:80]}”: {names}. Say which, with “at” and "
            "the organisation.",
            example=JOIN_EXAMPLE,
        )
    return teams[0]


async def _provider_name(ctx: Context, team: Team) -> str:
    provider = await ctx.session.get(Organisation, team.organisation_id)
    return provider.name if provider is not None else "?"


async def join(ctx: Context, rest: str) -> Reply:
    team = await find_team(ctx, rest)
    outcome, claim = await claims.join_team(ctx, team)
    if outcome == "member":
        return Reply(text=f"You are already a member of {team.name}.", private=True)
    if outcome == "joined":
        return Reply(
            text=f"Welcome: you are now a member of {team.name}. Your offers for it go straight "
            "into the register.",
            tone="success",
            private=True,
        )
    assert claim is not None
    return Reply(
        text=f"I have asked {place_of(claim)}'s practice-education coordinator (or the AHP "
        "faculty lead) to confirm that you work there. You can post offers meanwhile; they are "
        "held until then.",
        private=True,
    )


async def decide(ctx: Context, value: str, confirm: bool) -> Reply:
    claim, refs = await claims.decide(ctx, value, confirm)
    if confirm:
        released = f" {', '.join(refs)} now in the register." if refs else ""
        return Reply(
            text=f"Confirmed: {who(claim)} is a member of {place_of(claim)}.{released}",
            tone="success",
        )
    return Reply(
        text=f"Noted: {who(claim)} is not one of {place_of(claim)}'s staff. Their held offers "
        "stay out of the register, and they are told politely.",
    )


MEMBER_EXAMPLE = "placement member confirm 12"


async def member(ctx: Context, rest: str) -> Reply:
    """`placement member confirm N` / `decline N`: the buttons' typed form (for email)."""
    words = rest.split()
    if len(words) != 2 or words[0].lower() not in ("confirm", "decline"):
        raise UserError(
            "Say confirm or decline, then the request's number.", example=MEMBER_EXAMPLE
        )
    return await decide(ctx, words[1], words[0].lower() == "confirm")
