"""Who may use the local chat: the page this server served, and nothing a foreign page can do.

The local chat has no login: whoever reaches it speaks as anyone. So its routes answer only
requests addressed to this server by its own name (`Host`: refuses DNS rebinding, where a
foreign name resolves to 127.0.0.1), from its own page when the browser says where a request
came from (`Origin`), and its POSTs read JSON only: a foreign page can send a form or text
body to any address without asking first, but not an `application/json` one.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable

from aiohttp import web
from yarl import URL

from config.settings import Settings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARDS = ("", "0.0.0.0", "::")  # noqa: S104 - names of "every address", to recognise
# `name[:port]` as a Host header carries it, and an Origin as `scheme://name[:port]`; nothing else.
HOST_PORT = r"(?P<name>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>\d{1,5}))?"
HOST = re.compile(HOST_PORT)
ORIGIN = re.compile(rf"(?P<scheme>https?)://{HOST_PORT}")
DEFAULT_PORTS = {"http": 80, "https": 443}


def is_loopback(host: str) -> bool:
    """HOST names this machine only (localhost, 127.0.0.0/8, ::1)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _name(host: str | None) -> str:
    return (host or "").strip("[]").lower()


def own_addresses(request: web.Request, settings: Settings) -> set[tuple[str, int | None]]:
    """(name, port) pairs that mean this server; port None: any (behind the public URL's proxy)."""
    found: set[tuple[str, int | None]] = set()
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    port = sockname[1] if isinstance(sockname, tuple) and len(sockname) >= 2 else settings.port
    if isinstance(sockname, tuple) and sockname:
        found.add((_name(str(sockname[0])), port))
        if is_loopback(str(sockname[0])):
            found.update((name, port) for name in LOOPBACK_NAMES)
    if settings.host not in WILDCARDS:
        found.add((_name(settings.host), port))
    if settings.placebot_public_url:
        found.add((_name(URL(settings.placebot_public_url).host), None))
    return found


def _named(address: tuple[str, int | None], own: set[tuple[str, int | None]]) -> bool:
    return address in own or (address[0], None) in own


def _address(match: re.Match[str] | None, scheme: str = "http") -> tuple[str, int | None]:
    """(name, port) of a parsed Host or Origin; ("", None) when it did not parse."""
    if match is None:
        return ("", None)
    port = match.group("port")
    return (_name(match.group("name")), int(port) if port else DEFAULT_PORTS[scheme])


def refusal(request: web.Request, settings: Settings) -> web.Response | None:
    """403 when the request is not for this server or comes from another site's page; else None."""
    own = own_addresses(request, settings)
    if not _named(_address(HOST.fullmatch(request.headers.get("Host", ""))), own):
        return web.Response(
            status=403,
            text="This local chat answers only requests addressed to it by its own address: "
            "open it at the address PlaceBot printed when it started (or, for a local chat "
            "others reach, at PLACEBOT_PUBLIC_URL).",
        )
    origin = request.headers.get("Origin")
    if origin is not None:
        found = ORIGIN.fullmatch(origin)
        if not _named(_address(found, found.group("scheme") if found else "http"), own):
            return web.Response(
                status=403,
                text="The local chat answers only its own page, not pages from other sites.",
            )
    return None


def guarded(handler: Handler, settings: Settings) -> Handler:
    """`handler` behind the Host and Origin checks; a POST must also be JSON (else 415)."""

    async def checked(request: web.Request) -> web.StreamResponse:
        if (refused := refusal(request, settings)) is not None:
            return refused
        if request.method == "POST" and request.content_type != "application/json":
            return web.Response(
                status=415,
                text="Send JSON, with the header Content-Type: application/json "
                '(e.g. {"user": "stroke-physio", "text": "placement help"}).',
            )
        return await handler(request)

    return checked
