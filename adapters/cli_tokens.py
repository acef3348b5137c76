"""`placebot token create --hei NAME | revoke ID | list`: HEIs' register API tokens."""

from __future__ import annotations

import argparse
from typing import Any

from bot.kernel.clock import Clock
from bot.kernel.context import Context
from bot.kernel.errors import UserError
from bot.register import tokens
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import pending_message


class TokenCommandFailed(Exception):
    """The token verb could not do its job; the message says why."""


def add_parser(verbs: Any) -> None:
    """The `token` verb and its three sub-verbs, on the CLI's subparsers."""
    token = verbs.add_parser("token", help="HEI tokens for the register API").add_subparsers(
        dest="what", required=True
    )
    create = token.add_parser("create", help="make a token for an HEI; it is shown once")
    create.add_argument("--hei", required=True, help="the HEI's full name or UKPRN")
    create.add_argument("--label", default="", help="what the token is for")
    token.add_parser("revoke", help="stop a token working").add_argument("id", type=int)
    token.add_parser("list", help="tokens, their HEIs and when last used (never the secret)")


async def run(settings: Settings, args: argparse.Namespace) -> str:
    """Do the verb in one transaction and return what to print."""
    engine = make_engine(settings.database_url)
    try:
        if problem := await pending_message(engine):
            raise TokenCommandFailed(problem)
        async with make_sessionmaker(engine).begin() as session:
            ctx = Context(session, None, Clock(zone=settings.timezone), settings, "cli")
            return await _verb(ctx, args)
    except UserError as error:
        raise TokenCommandFailed(error.message) from None
    finally:
        await engine.dispose()


async def _verb(ctx: Context, args: argparse.Namespace) -> str:
    match args.what:
        case "create":
            token, secret = await tokens.create_token(ctx, args.hei, args.label)
            return (
                f"Token {token.id} for {args.hei} ({token.label}). Give it to the HEI now: it is "
                f"not stored and cannot be shown again.\n{secret}"
            )
        case "revoke":
            token = await tokens.revoke_token(ctx, args.id)
            return f"Token {token.id} is revoked; calls with it now get 401."
    lines = [
        f"{token.id:>4}  {hei}  {token.label}  "
        f"{'revoked ' + token.revoked_at.isoformat() if token.revoked_at else 'active'}  "
        f"last used {token.last_used_at.isoformat() if token.last_used_at else 'never'}"
        for token, hei in await tokens.list_tokens(ctx)
    ]
    return "\n".join(lines) or "No tokens yet: `placebot token create --hei NAME` makes one."
