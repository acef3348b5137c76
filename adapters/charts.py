"""Charts served by PlaceBot itself, for clients that show an image only by URL.

A Teams card refuses an inline image above about 20,000 base64 characters, and the weekly
chart is always bigger, so the card names `GET /charts/{id}.png?sig=...` instead: the PNG is
kept in the database (`storage.charts`, once per PNG) and the link is signed with
PLACEBOT_LINK_SECRET for the `chart` purpose and expires with the row (`KEEP`); housekeeping
drops expired rows. A link that is not ours, altered or expired gets 403, as every signed link
does (`adapters.report_links`). Email keeps its inline (CID) image: mail clients block remote
images until the reader allows them, and an email should read whole offline and after the link
has expired.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.kernel import signed_links
from bot.kernel.clock import Clock
from bot.kernel.messages import Image
from bot.kernel.signed_links import BadLink
from config.settings import Settings
from storage import charts

KEEP = timedelta(days=35)  # five weekly summaries: a card scrolled back to still shows its chart
PATH = "/charts/{id}.png"
_ID = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ChartLinks:
    """Keeps a reply's chart and gives its signed URL; None where no client could fetch it (no
    PLACEBOT_PUBLIC_URL: the bot is not reachable from outside)."""

    sessions: async_sessionmaker[AsyncSession]
    settings: Settings
    clock: Clock

    async def url(self, image: Image | None) -> str | None:
        if image is None or not self.settings.placebot_public_url:
            return None
        now = self.clock.now()
        async with self.sessions.begin() as session:
            found = await charts.keep(session, base64.b64decode(image.png_base64), now, now + KEEP)
        return chart_url(self.settings, self.clock, found)


def chart_url(settings: Settings, clock: Clock, found: str) -> str:
    sig = signed_links.sign(settings, clock, "chart", {"chart": found})
    return f"{signed_links.base_url(settings)}{PATH.format(id=found)}?sig={sig}"


def _checked(settings: Settings, clock: Clock, found: str, sig: str) -> None:
    """BadLink unless `sig` was made for this chart, unaltered and not expired."""
    payload = signed_links.read(settings, clock, "chart", sig, KEEP)
    if payload.get("chart") != found or not _ID.match(found):
        raise BadLink("This link is not valid. Open it from the message again.")


CHARTS: web.AppKey[ChartLinks] = web.AppKey("charts", ChartLinks)


async def chart(request: web.Request) -> web.Response:
    links = request.app[CHARTS]
    found = request.match_info["id"]
    try:
        _checked(links.settings, links.clock, found, request.query.get("sig", ""))
    except BadLink as problem:
        return web.Response(text=str(problem), status=403)
    async with links.sessions() as session:
        png = await charts.find(session, found, links.clock.now())
    if png is None:
        return web.Response(text="This chart is no longer kept.", status=404)
    return web.Response(
        body=png,
        content_type="image/png",
        headers={"Cache-Control": "private, max-age=86400"},
    )


def mount(app: web.Application, links: ChartLinks) -> None:
    app[CHARTS] = links
    app.router.add_get(PATH, chart)
