"""HTTP routes of the local chat page. Translates JSON to core `Command`s and `Reply`s to JSON.

- `GET /`: the page.
- `GET /local/people`: the people you can speak as (the demo's local identities).
- `POST /local/send`: `{"user": key, "name": display name, "text": ...}` typed words.
- `POST /local/action`: `{"user", "action", "value"}` a button press.
- `POST /local/form`: `{"user", "form_id", "values": {...}}` a submitted form.
Each answers with the `Reply` as JSON (see `bot.kernel.messages.Reply.to_dict`).
- `GET /local/inbox?user=KEY[&after=ID]`: what PlaceBot sent the person on its own (`inbox.py`).
Every route answers only this server's own page (`guard.py`): 403 for another Host or Origin,
415 for a POST that is not JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import select

from adapters import json_body
from adapters.localchat import inbox
from adapters.localchat.guard import guarded
from bot.chat.placebot import PlaceBot
from bot.kernel.messages import Actor, Command
from storage.tables import Identity, Person

STATIC = Path(__file__).parent / "static"
BOT_KEY: web.AppKey[PlaceBot] = web.AppKey("placebot", PlaceBot)
MAX_BODY = 64 * 1024


async def page(_request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


async def people(request: web.Request) -> web.Response:
    bot = request.app[BOT_KEY]
    async with bot.sessions() as session:
        rows = await session.execute(
            select(Identity.external_id, Person.display_name)
            .join(Person, Person.id == Identity.person_id)
            .where(Identity.platform == "local")
            .order_by(Person.id)
        )
        found = [{"user": user, "name": name} for user, name in rows.all()]
    return web.json_response({"people": found})


async def _payload(request: web.Request) -> dict[str, Any]:
    try:
        body = json_body.parse(await request.read())
    except json_body.BadJson as problem:
        raise web.HTTPBadRequest(text=f"{problem} Send JSON.") from None
    if not isinstance(body, dict) or not isinstance(body.get("user"), str) or not body["user"]:
        raise web.HTTPBadRequest(text='Say who is speaking: {"user": ...}.')
    return body


def _actor(body: dict[str, Any]) -> Actor:
    name = body.get("name")
    return Actor(
        platform="local",
        external_id=str(body["user"])[:100],
        display_name=str(name)[:200] if isinstance(name, str) else "",
    )


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key, "")
    return value if isinstance(value, str) else ""


async def send(request: web.Request) -> web.Response:
    body = await _payload(request)
    reply = await request.app[BOT_KEY].handle(Command(_actor(body), text=_text(body, "text")))
    return web.json_response(reply.to_dict())


async def action(request: web.Request) -> web.Response:
    body = await _payload(request)
    command = Command(_actor(body), action=_text(body, "action"), value=_text(body, "value"))
    return web.json_response((await request.app[BOT_KEY].handle(command)).to_dict())


async def form(request: web.Request) -> web.Response:
    body = await _payload(request)
    raw = body.get("values")
    values = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
    command = Command(_actor(body), form_id=_text(body, "form_id"), form_values=values)
    return web.json_response((await request.app[BOT_KEY].handle(command)).to_dict())


async def sent_to_me(request: web.Request) -> web.Response:
    return await inbox.inbox(request, request.app[BOT_KEY])


def mount(app: web.Application, bot: PlaceBot) -> None:
    app[BOT_KEY] = bot
    settings = bot.settings
    app.router.add_get("/", guarded(page, settings))
    app.router.add_get("/local/people", guarded(people, settings))
    app.router.add_post("/local/send", guarded(send, settings))
    app.router.add_post("/local/action", guarded(action, settings))
    app.router.add_post("/local/form", guarded(form, settings))
    app.router.add_get("/local/inbox", guarded(sent_to_me, settings))
