"""What a signed link opens: the report page, a digest's or summary's CSV, and one-click
unsubscribe (RFC 8058).

`GET /report?t=...` is the lead's report page, its view by their role (`adapters/report_page`).

`GET /report/placements.csv?t=...` streams the register CSV narrowed as the link's message was.
`GET /unsubscribe?t=...` shows one button, as mail scanners open every link and a GET must
change nothing; `POST /unsubscribe?t=...` stops the digest or summary, for that button and for
mail clients' one-click unsubscribe (they post `List-Unsubscribe=One-Click`). A link that is
not ours, altered or expired gets 401 and a sentence on what to do.
"""

from __future__ import annotations

import html

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.report_page import faculty, hei
from bot.chat.placebot import PlaceBot
from bot.kernel.context import Context
from bot.kernel.signed_links import BadLink
from bot.people.directory import has_role
from bot.register.csv.stream import write_csv
from bot.reports import links

BOT: web.AppKey[PlaceBot] = web.AppKey("report_links_bot", PlaceBot)
NEW_REPORT_LINK = (
    "<p>For a new link to this page, type <code>summary</code> to PlaceBot in chat (faculty "
    "leads) or <code>digest now</code> (HEI leads); every digest and weekly summary brings "
    "one too.</p>"
)
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>PlaceBot</title><style>body{{font:1rem/1.5 system-ui,sans-serif;max-width:34rem;
margin:3rem auto;padding:0 1rem}}button{{font:inherit;padding:.5rem 1rem}}</style></head>
<body><h1>PlaceBot</h1>{body}</body></html>"""


def _page(body: str, status: int = 200) -> web.Response:
    return web.Response(text=_PAGE.format(body=body), content_type="text/html", status=status)


def _context(bot: PlaceBot, session: AsyncSession) -> Context:
    return Context(session, None, bot.clock, bot.settings, "link")


async def placements_csv(request: web.Request) -> web.StreamResponse:
    bot = request.app[BOT]
    try:
        async with bot.sessions() as session:
            query = await links.csv_query(_context(bot, session), request.query.get("t", ""))
    except BadLink as problem:
        return web.Response(text=str(problem), status=401)
    response = web.StreamResponse(headers={"Cache-Control": "private, no-store"})
    response.content_type, response.charset = "text/csv", "utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="placements.csv"'
    await response.prepare(request)
    await write_csv(bot.sessions.begin, query, response.write)
    await response.write_eof()
    return response


async def report(request: web.Request) -> web.Response:
    bot = request.app[BOT]
    try:
        async with bot.sessions() as session:
            ctx = _context(bot, session)
            person = await links.report_reader(ctx, request.query.get("t", ""))
            view = faculty if has_role(person, "faculty_lead") else hei
            body = await view.render(ctx, person)
    except BadLink as problem:
        return _page(f"<p>{html.escape(str(problem))}</p>{NEW_REPORT_LINK}", status=401)
    return web.Response(
        text=body, content_type="text/html", headers={"Cache-Control": "private, no-store"}
    )


async def unsubscribe_page(request: web.Request) -> web.Response:
    token = html.escape(request.query.get("t", ""), quote=True)
    return _page(
        "<p>Stop these messages from PlaceBot?</p>"
        f'<form method="post" action="?t={token}"><button>Unsubscribe</button></form>'
        "<p>In chat, <code>digest status</code> shows what you get.</p>"
    )


async def unsubscribe(request: web.Request) -> web.Response:
    bot = request.app[BOT]
    try:
        async with bot.sessions.begin() as session:
            said = await links.unsubscribe(_context(bot, session), request.query.get("t", ""))
    except BadLink as problem:
        return _page(f"<p>{html.escape(str(problem))}</p>", status=401)
    return _page(f"<p>{html.escape(said)}</p>")


def mount(app: web.Application, bot: PlaceBot) -> None:
    app[BOT] = bot
    app.router.add_get(links.REPORT_PATH, report)
    app.router.add_get(links.CSV_PATH, placements_csv)
    app.router.add_get(links.UNSUBSCRIBE_PATH, unsubscribe_page)
    app.router.add_post(links.UNSUBSCRIBE_PATH, unsubscribe)
