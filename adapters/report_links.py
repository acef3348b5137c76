"""What a signed link opens: the report page, a digest's or summary's CSV, and one-click
unsubscribe (RFC 8058).

`GET /report?t=...` is the lead's report page, its view by their role (`adapters/report_page`).
`POST /report/requests` is an HEI lead's "Request places" on it: the form carries the link's
token (made for that one person) and must come from our own origin (its `Origin` header), so
another site cannot post it; the answer is shown on the page after a redirect (303).

`GET /report/placements.csv?t=...` streams the register CSV narrowed as the link's message was.
`GET /unsubscribe?t=...` shows one button, as mail scanners open every link and a GET must
change nothing; `POST /unsubscribe?t=...` stops the digest or summary, for that button and for
mail clients' one-click unsubscribe (they post `List-Unsubscribe=One-Click`). A link that is
not ours, altered or expired gets 403 (a link carries no credentials a client could retry
with, so 401's WWW-Authenticate does not apply) and a sentence on what to do.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.report_page import faculty, hei
from bot.chat.placebot import PlaceBot
from bot.kernel.context import Context
from bot.kernel.errors import FieldErrors, UserError
from bot.kernel.signed_links import BadLink, base_url
from bot.people.directory import has_role
from bot.register.csv.stream import write_csv
from bot.reports import links
from bot.requests.form import request_from_form
from config.settings import Settings

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
        return web.Response(text=str(problem), status=403)
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
            token = request.query.get("t", "")
            person = await links.report_reader(ctx, token)
            if has_role(person, "faculty_lead"):
                body = await faculty.render(ctx, person)
            else:
                body = await hei.render(ctx, person, token, request.query, *_requested(request))
    except BadLink as problem:
        return _page(f"<p>{html.escape(str(problem))}</p>{NEW_REPORT_LINK}", status=403)
    return web.Response(
        text=body, content_type="text/html", headers={"Cache-Control": "private, no-store"}
    )


def _requested(request: web.Request) -> tuple[str, bool]:
    """The answer to a request just made on the page (after its redirect), if any."""
    said = request.query.get("said", "")[:300]
    return said, request.query.get("error") == "1"


def _same_origin(request: web.Request, settings: Settings) -> bool:
    """A page form posts from this server's own pages: its Origin is ours (the public URL's, or
    the address the request came to). Another site's form, or none, is refused."""
    origin = request.headers.get("Origin", "")
    ours = {base_url(settings), f"{request.scheme}://{request.host}"}
    return bool(origin) and origin.rstrip("/") in ours


async def request_places(request: web.Request) -> web.Response:
    """`POST /report/requests`: "Request places" on the page, the API's own request."""
    bot = request.app[BOT]
    if not _same_origin(request, bot.settings):
        return _page(
            "<p>This form must be sent from the report page itself. Open the report from your "
            "digest and press Request places there.</p>",
            status=403,
        )
    form = await request.post()
    token = str(form.get("t", ""))
    values = {name: str(form.get(name, "")) for name in ("ref", "students", "note")}
    try:
        async with bot.sessions.begin() as session:
            person = await links.report_reader(_context(bot, session), token)
            ctx = Context(session, person, bot.clock, bot.settings, "report")
            _made, said = await request_from_form(ctx, values)
        failed = False
    except BadLink as problem:
        return _page(f"<p>{html.escape(str(problem))}</p>", status=403)
    except FieldErrors as problem:
        said, failed = " ".join(problem.errors.values()), True
    except UserError as problem:
        said, failed = problem.message, True
    back = {"t": token, "said": said} | ({"error": "1"} if failed else {})
    raise web.HTTPSeeOther(f"{links.REPORT_PATH}?{urlencode(back)}")


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
        return _page(f"<p>{html.escape(str(problem))}</p>", status=403)
    return _page(f"<p>{html.escape(said)}</p>")


def mount(app: web.Application, bot: PlaceBot) -> None:
    app[BOT] = bot
    app.router.add_get(links.REPORT_PATH, report)
    app.router.add_get(links.CSV_PATH, placements_csv)
    app.router.add_post(hei.REQUESTS_PATH, request_places)
    app.router.add_get(links.UNSUBSCRIBE_PATH, unsubscribe_page)
    app.router.add_post(links.UNSUBSCRIBE_PATH, unsubscribe)
