"""HEI API tokens: shown once when made, stored only as a hash, revocable.

Tokens are 256 random bits, so a fast SHA-256 is enough (there is nothing to brute-force) and
lets a request find its token with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select

from bot.kernel import audit
from bot.kernel.context import Context
from bot.kernel.errors import NotFound
from storage.tables import ApiToken, Organisation

PREFIX = "pbt_"
_TOUCH_EVERY = timedelta(minutes=5)  # how stale last_used_at may be, to spare a write per call


@dataclass(frozen=True)
class ApiClient:
    """Who is calling the API: one HEI, through one of its tokens."""

    token_id: int
    hei_id: int
    hei_name: str


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def find_hei(ctx: Context, name_or_ukprn: str) -> Organisation:
    wanted = name_or_ukprn.strip()
    hei = (
        await ctx.session.execute(
            select(Organisation).where(
                Organisation.kind == "hei",
                or_(
                    func.lower(Organisation.name) == wanted.lower(),
                    Organisation.ukprn == wanted,
                ),
            )
        )
    ).scalar_one_or_none()
    if hei is None:
        raise NotFound(f"There is no HEI “{wanted[:80]}”; give its full name or UKPRN.")
    return hei


async def create_token(ctx: Context, hei_name: str, label: str = "") -> tuple[ApiToken, str]:
    """A new token for the HEI and its secret, which is never stored and cannot be shown again."""
    hei = await find_hei(ctx, hei_name)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        hei_id=hei.id,
        label=(label.strip() or f"{hei.name} API")[:200],
        token_hash=hash_token(secret),
        created_at=ctx.clock.now(),
    )
    ctx.session.add(token)
    await ctx.session.flush()
    audit.record(ctx, "token.create", "api_token", str(token.id), None, _public(token, hei))
    return token, secret


async def revoke_token(ctx: Context, token_id: int) -> ApiToken:
    token = await ctx.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"There is no API token {token_id}; `placebot token list` shows them.")
    if token.revoked_at is None:
        hei = await ctx.session.get(Organisation, token.hei_id)
        before = _public(token, hei)
        token.revoked_at = ctx.clock.now()
        audit.record(ctx, "token.revoke", "api_token", str(token.id), before, _public(token, hei))
    return token


async def list_tokens(ctx: Context) -> list[tuple[ApiToken, str]]:
    rows = await ctx.session.execute(
        select(ApiToken, Organisation.name)
        .join(Organisation, Organisation.id == ApiToken.hei_id)
        .order_by(ApiToken.id)
    )
    return [(token, name) for token, name in rows.all()]


async def authenticate(ctx: Context, secret: str) -> ApiClient | None:
    """The caller behind a bearer secret, or None for an unknown or revoked one."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    row = (
        await ctx.session.execute(
            select(ApiToken, Organisation.name)
            .join(Organisation, Organisation.id == ApiToken.hei_id)
            .where(ApiToken.token_hash == hash_token(secret), ApiToken.revoked_at.is_(None))
        )
    ).one_or_none()
    if row is None:
        return None
    token, name = row
    now = ctx.clock.now()
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
        token.last_used_at = now
    return ApiClient(token_id=token.id, hei_id=token.hei_id, hei_name=name)


def _public(token: ApiToken, hei: Organisation | None) -> dict[str, object]:
    """What the audit log keeps of a token: never the secret nor its hash."""
    return {
        "id": token.id,
        "hei": hei.name if hei else None,
        "label": token.label,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }
