"""Whether an activity may be served, and who it is from, by what the channel vouches for.

A Bot Framework token is not bound to the activity's body. It says which app it is for (`aud`)
and where the channel answers (`serviceurl`), and the key that signed it lists the channels it
is endorsed for. So the body is taken as the channel's own only when its `channelId` is one
this bot serves (PLACEBOT_TEAMS_CHANNELS, `msteams`), the token is a channel's token for this
app, the signing key endorses that channel, the `serviceurl` claim is the activity's
`serviceUrl`, and every tenant the token and the activity name is the same one. Web Chat (on by
default for an Azure bot) lets its client choose any `from.id` and tenant: its activities are
refused before anything is read from them.

Without an app id (PLACEBOT_TEAMS_ALLOW_UNAUTHENTICATED=1) nothing is vouched for: the
Emulator's channel is served too, and only activities whose replies would go to this machine.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from dataclasses import dataclass
from typing import Any

import jwt
from botframework.connector.auth import (
    AuthenticationConstants,
    ChannelValidation,
    SimpleCredentialProvider,
)
from yarl import URL

from adapters.teams.signing_keys import KeyCache, SigningKeysUnavailable
from bot.kernel.messages import Actor
from config.settings import Settings

log = logging.getLogger(__name__)

TOKEN_CACHE_SIZE = 1000
EMULATOR = "emulator"
LOOPBACK_NAMES = frozenset({"localhost"})


@dataclass(frozen=True)
class Refusal:
    """What an activity that is not served is answered: a status and a short error."""

    status: int
    error: str


UNAUTHORIZED = Refusal(401, "unauthorized")
NOT_LOOPBACK = Refusal(
    403,
    "without MICROSOFT_APP_ID only activities whose serviceUrl is this machine "
    "(127.0.0.1, ::1 or localhost) are served",
)
OTHER_TENANT = Refusal(403, "this tenant is not served here")


def part(activity: dict[str, Any], name: str) -> dict[str, Any]:
    """A sub-object of an activity, or {} when it is missing or not an object."""
    value = activity.get(name)
    return value if isinstance(value, dict) else {}


def tenants_named(activity: dict[str, Any], claims: dict[str, Any]) -> list[str]:
    """Every tenant id given: the activity's `conversation.tenantId` and
    `channelData.tenant.id`, and the token's `tid` claim when it has one."""
    named = (
        part(activity, "conversation").get("tenantId"),
        part(part(activity, "channelData"), "tenant").get("id"),
        claims.get("tid"),
    )
    return [str(tenant) for tenant in named if tenant]


def tenant_of(activity: dict[str, Any]) -> str:
    """The tenant the activity comes from (all it names agree, see `Gate`):
    `conversation.tenantId`, else `channelData.tenant.id`."""
    return str(
        part(activity, "conversation").get("tenantId")
        or part(part(activity, "channelData"), "tenant").get("id")
        or ""
    )


def actor_of(activity: dict[str, Any]) -> Actor:
    sender = part(activity, "from")
    return Actor(
        platform="teams",
        tenant=tenant_of(activity),
        external_id=str(sender.get("aadObjectId") or sender.get("id") or ""),
        display_name=str(sender.get("name") or ""),
    )


def is_loopback(url: str) -> bool:
    """Whether `url` is http(s) to this machine (127.0.0.0/8, ::1, localhost), as aiohttp
    would connect to it."""
    try:
        parsed = URL(url)
    except (TypeError, ValueError):
        return False
    host = (parsed.host or "").lower()
    if parsed.scheme not in ("http", "https") or not host:
        return False
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def key_id(header: str) -> str:
    try:
        return str(jwt.get_unverified_header(header.partition(" ")[2]).get("kid") or "")
    except jwt.PyJWTError:
        return ""


class Gate:
    """Checks each activity before anything of it is used: channel, token, tenants."""

    def __init__(self, settings: Settings, signing_keys: KeyCache | None) -> None:
        self.app_id = settings.microsoft_app_id or ""
        self.credentials = SimpleCredentialProvider(
            self.app_id, settings.microsoft_app_password or ""
        )
        channels = {channel.lower() for channel in settings.placebot_teams_channels}
        self.channels = frozenset(channels if self.app_id else channels | {EMULATOR})
        self.tenants = frozenset(t.lower() for t in settings.microsoft_allowed_tenants)
        self.signing_keys = signing_keys
        self._valid_tokens: dict[tuple[str, str, str], tuple[float, dict[str, Any]]] = {}

    @property
    def loopback_only(self) -> bool:
        """Unauthenticated: replies go to this machine only."""
        return not self.app_id

    def reaches(self, channel: object, service_url: object) -> bool:
        """Whether a stored reference may be sent to: a channel served, an allowed address."""
        if str(channel or "").lower() not in self.channels:
            return False
        return not self.loopback_only or is_loopback(str(service_url or ""))

    async def refusal(self, activity: dict[str, Any], header: str) -> Refusal | None:
        """None when the activity may be served, else how to answer it. Raises
        SigningKeysUnavailable when the keys to check its token with cannot be fetched."""
        channel = str(activity.get("channelId") or "").lower()
        if channel not in self.channels:
            log.info("Teams request refused: channel %r is not served", channel[:40])
            return UNAUTHORIZED
        claims: dict[str, Any] = {}
        if self.app_id:
            found = await self.claims(channel, str(activity.get("serviceUrl") or ""), header)
            if found is None:
                return UNAUTHORIZED
            claims = found
        elif activity.get("serviceUrl") and not is_loopback(str(activity["serviceUrl"])):
            log.warning("Teams request refused: unauthenticated, and serviceUrl is not loopback")
            return NOT_LOOPBACK
        named = tenants_named(activity, claims)
        if not self.serves(named):
            return OTHER_TENANT
        if len({tenant.lower() for tenant in named}) > 1:
            log.info("Teams request refused: the token and the activity name different tenants")
            return UNAUTHORIZED
        return None

    def serves(self, named: list[str]) -> bool:
        """MICROSOFT_ALLOWED_TENANTS, empty meaning any: every tenant id named must be listed
        (GUIDs compare in any case)."""
        if not self.tenants:
            return True
        outside = [tenant for tenant in named if tenant.lower() not in self.tenants]
        if named and not outside:
            return True
        log.warning(
            "Teams activity refused: tenant %r is not in MICROSOFT_ALLOWED_TENANTS",
            outside[0] if outside else "",
        )
        return False

    async def claims(self, channel: str, service_url: str, header: str) -> dict[str, Any] | None:
        """The claims of a channel's token for this app, endorsed for `channel`, for
        `service_url`; None when it is not one. botbuilder's ChannelValidation checks the
        signature, issuer, expiry, audience, endorsement and `serviceurl`; the Emulator's and
        skills' tokens never pass it. A token already checked for the same channel and service
        URL is accepted until it expires without checking its signature again."""
        if not header:
            return None
        key = (header, channel, service_url)
        expires, claims = self._valid_tokens.get(key, (0.0, {}))
        if expires > time.time():
            return claims
        try:
            identity = await ChannelValidation.authenticate_channel_token_with_service_url(
                header, self.credentials, service_url, channel
            )
        except SigningKeysUnavailable:
            raise
        except Exception as error:  # botbuilder raises PermissionError, ValueError, Exception
            log.info("Teams request refused: %s", type(error).__name__)
            return None
        claims = dict(identity.claims)
        if not (identity.is_authenticated and self.endorses(header, channel)):
            log.info("Teams request refused: the signing key does not endorse %r", channel)
            return None
        if len(self._valid_tokens) >= TOKEN_CACHE_SIZE:
            self._valid_tokens.clear()
        self._valid_tokens[key] = (float(claims.get("exp", 0)), claims)
        return claims

    def endorses(self, header: str, channel: str) -> bool:
        """botbuilder skips its endorsement check for a key that lists none; here the key that
        signed the token must list the channel."""
        if self.signing_keys is None:
            return False
        url = (
            ChannelValidation.open_id_metadata_endpoint
            or AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
        )
        signing_key = self.signing_keys.get(url).keys.get(key_id(header))
        return signing_key is not None and channel in signing_key.endorsements
