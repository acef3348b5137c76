"""Teams on the shared aiohttp server at `POST /api/messages`.

Inbound, an activity is served only when its channel, token and tenants fit
(`adapters.teams.identity`). A message is stored before its 200 (an acknowledgement is a
promise); its reply goes after, through the connector, kept with the receipt until sent
(`adapters.teams.answers`). Card actions sent as `invoke` are answered in the HTTP response
itself, as Teams requires. Each activity is handled once, keyed by conversation and activity
id. Private answers and proactive messages go by 1:1 (`adapters.teams.personal`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import replace
from typing import Any

from aiohttp import ClientError, web
from botframework.connector.auth import ChannelValidation

from adapters import json_body
from adapters.background import BackgroundWork
from adapters.charts import ChartLinks
from adapters.teams import answers, cards, personal, signing_keys
from adapters.teams.connector import Connector, ConnectorError
from adapters.teams.identity import Gate, actor_of, part, tenant_of
from adapters.teams.signing_keys import SigningKeysUnavailable
from bot.chat.placebot import PlaceBot
from bot.delivery.channels import Unreachable
from bot.kernel.messages import Actor, Command, Reply
from config.settings import Settings

log = logging.getLogger(__name__)

MET_CACHE_SIZE = 10_000  # senders this process knows the bot has met
MEMBER_LOOKUP_SECONDS = 3.0  # a newcomer's member record, or they are met without an email
# Replies in flight to the Bot Connector (each waits on its answer, ~100 ms): bounded apart from
# the storing, which is done before the 200, so a slow connector never holds a turn back.
REPLIES_IN_FLIGHT = 32
_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)


def token_url(settings: Settings) -> str:
    if settings.microsoft_token_url:
        return settings.microsoft_token_url
    tenant = (
        settings.microsoft_app_tenant_id if settings.microsoft_app_type == "SingleTenant" else None
    )
    return f"https://login.microsoftonline.com/{tenant or 'botframework.com'}/oauth2/v2.0/token"


def delivery_key(activity: dict[str, Any]) -> str:
    """Teams redelivers an activity with the same conversation and activity id."""
    return f"teams:{part(activity, 'conversation').get('id')}:{activity.get('id')}"


def card_command(activity: dict[str, Any], data: dict[str, Any], verb: str = "") -> Command:
    """A button press or a form submission, from the data a card sent back."""
    button, value, form_id, values = cards.submission(data)
    return Command(
        actor_of(activity),
        action=button or (None if form_id else verb),
        value=value,
        form_id=form_id,
        form_values=values,
        delivery_key=delivery_key(activity),
    )


class TeamsEdge:
    name = "teams"

    def __init__(self, bot: PlaceBot, settings: Settings) -> None:
        self.bot = bot
        self.connector = Connector.open(
            settings.microsoft_app_id, settings.microsoft_app_password, token_url(settings)
        )
        # The SDK's own knob, process-wide (None: Microsoft's); its key fetcher is replaced.
        ChannelValidation.open_id_metadata_endpoint = settings.microsoft_openid_metadata_url
        app_id = settings.microsoft_app_id
        self.signing_keys = signing_keys.install(bot.clock) if app_id else None
        self.gate = Gate(settings, self.signing_keys)
        self.work = BackgroundWork(REPLIES_IN_FLIGHT, edge="teams")
        self.charts = ChartLinks(bot.sessions, settings, bot.clock)
        self._remembered: set[tuple[str, str, str, str]] = set()
        self._met: set[tuple[str, str]] = set()

    async def handle_http(self, request: web.Request) -> web.Response:
        try:
            activity = json_body.parse_object(await request.read())
        except json_body.BadJson as problem:
            return web.json_response(
                {"error": f"{problem} Send a Bot Framework activity."}, status=400
            )
        try:
            refusal = await self.gate.refusal(activity, request.headers.get("Authorization", ""))
        except SigningKeysUnavailable as problem:  # the token may be good: the channel retries
            log.info("Teams request deferred: %s", problem)
            return web.json_response(
                {"error": "signing keys unavailable, try again"},
                status=503,
                headers={"Retry-After": "5"},
            )
        if refusal is not None:  # before anything of the activity is used or stored
            return web.json_response({"error": refusal.error}, status=refusal.status)
        kind = activity.get("type")
        if kind == "invoke":
            return await self.on_invoke(activity)
        if kind == "message":  # stored before the 200; the reply goes after it
            reply = await self.on_message(activity)
            if reply is not None:
                self.work.submit(lambda: self.send_reply(activity, reply))
        elif kind == "conversationUpdate":
            await self.on_conversation_update(activity)
        return web.Response(status=200)

    def command_for(self, activity: dict[str, Any]) -> Command:
        value = activity.get("value")
        if isinstance(value, dict) and value:  # Action.Submit sends its data as the message value
            return card_command(activity, value)
        text = _MENTION.sub(" ", str(activity.get("text") or ""))
        return Command(actor_of(activity), text=text, delivery_key=delivery_key(activity))

    async def remember(self, actor: Actor, reference: dict[str, Any]) -> None:
        """Store a 1:1 conversation reference; skipped when this process stored the same one."""
        key = (
            actor.tenant,
            actor.external_id,
            str(reference["serviceUrl"]),
            str(reference["conversation"]),
        )
        if key not in self._remembered:
            await self.bot.remember_conversation(actor, reference)
            self._remembered.add(key)

    def remember_later(self, actor: Actor, activity: dict[str, Any]) -> None:
        """After the 200, for someone met in a channel or group chat: their 1:1, made by the
        connector when need be, is what proactive messages will use."""
        if activity.get("serviceUrl"):
            self.work.submit(lambda: self.remember_personal(actor, activity))

    async def remember_personal(self, actor: Actor, activity: dict[str, Any]) -> None:
        tenant = tenant_of(activity)
        try:
            reference = await personal.personal_reference(
                self.connector, personal.reference_of(activity), tenant
            )
        except (ConnectorError, ClientError, TimeoutError) as error:
            log.warning("Teams: no 1:1 conversation with %s yet: %s", actor.external_id, error)
            return
        await self.remember(actor, reference)

    async def sender(self, activity: dict[str, Any]) -> Actor:
        """The core's actor; someone new to the bot comes with the work email of their member
        record, looked up once, so a person set up by email is recognised."""
        actor = actor_of(activity)
        key = (actor.tenant, actor.external_id)
        if key in self._met:
            return actor
        if await self.bot.knows(actor):
            self.met(actor)
            return actor
        return replace(actor, email=await self.member_email(activity))

    def met(self, actor: Actor) -> None:
        if len(self._met) >= MET_CACHE_SIZE:
            self._met.clear()
        self._met.add((actor.tenant, actor.external_id))

    async def member_email(self, activity: dict[str, Any]) -> str | None:
        """`email`, else `userPrincipalName`, of the sender's record in the conversation's
        members; None (and a warning) when the Bot Connector cannot say in time."""
        service_url = str(activity.get("serviceUrl") or "")
        conversation = str(part(activity, "conversation").get("id") or "")
        sender = part(activity, "from")
        user_id = str(sender.get("id") or sender.get("aadObjectId") or "")
        if not (service_url and conversation and user_id):
            return None
        try:
            async with asyncio.timeout(MEMBER_LOOKUP_SECONDS):
                record = await self.connector.member(service_url, conversation, user_id)
        except (ConnectorError, ClientError, TimeoutError, ValueError) as error:
            log.warning(
                "Teams member look-up failed for %s: %s",
                user_id,
                str(error) or type(error).__name__,
            )
            return None
        for field in ("email", "userPrincipalName"):
            value = record.get(field) if isinstance(record, dict) else None
            if isinstance(value, str) and "@" in value:
                return value.strip()
        return None

    async def on_message(self, activity: dict[str, Any]) -> Reply | None:
        """Store the message's work; its answer, kept until sent (`adapters.teams.answers`)."""
        command = self.command_for(activity)
        command = replace(command, actor=await self.sender(activity))
        in_personal = personal.is_personal(activity)
        if in_personal:
            await self.remember(command.actor, personal.reference_of(activity))
        self.met(command.actor)
        if not activity.get("serviceUrl"):
            return await self.bot.handle_once(command)
        # A redelivery (no 200 in time) stands down: the first one's reply is kept and sent.
        due = answers.respond_to(activity)
        reply = await self.bot.handle_once(command, keep=True, respond_to=due, answered=False)
        if not in_personal:  # the person is met by now
            self.remember_later(command.actor, activity)
        return reply

    async def send_reply(self, activity: dict[str, Any], reply: Reply) -> None:
        chart_url = await self.charts.url(reply.image)
        await answers.send(self.connector, activity, reply, chart_url)
        await self.bot.answers.given(delivery_key(activity))

    async def on_invoke(self, activity: dict[str, Any]) -> web.Response:
        """`adaptiveCard/action` (Action.Execute) is answered in the HTTP body: with a card, or,
        in a channel or group chat when the answer is private, with a line only the presser
        sees while the answer goes by 1:1 (a card in the body would replace the channel's)."""
        if activity.get("name") != "adaptiveCard/action":
            return web.json_response(
                {"error": f"{activity.get('name')} is not supported"}, status=501
            )
        action = part(part(activity, "value"), "action")
        verb = str(action.get("verb") or "")
        command = card_command(activity, part(action, "data"), verb)
        command = replace(command, actor=await self.sender(activity))
        if personal.is_personal(activity) or not activity.get("serviceUrl"):
            reply = await self.bot.handle_once(command)
            return invoke_answer(reply or Reply(text="Already done.", private=True))
        due = answers.respond_to(activity)
        reply = await self.bot.handle_once(command, keep=True, respond_to=due, answered=False)
        self.remember_later(command.actor, activity)
        if reply is None:
            return invoke_answer(None, "Already done.")
        if reply.private:
            self.work.submit(lambda: self.send_reply(activity, reply))
            return invoke_answer(None, personal.ANSWERED_PRIVATELY)
        await self.bot.answers.given(delivery_key(activity))
        return invoke_answer(reply)

    async def on_conversation_update(self, activity: dict[str, Any]) -> None:
        added = [m for m in activity.get("membersAdded") or [] if isinstance(m, dict)]
        bot_id = part(activity, "recipient").get("id")
        if any(member.get("id") == bot_id for member in added):  # the bot was installed
            actor = await self.sender(activity)
            if personal.is_personal(activity):
                await self.remember(actor, personal.reference_of(activity))
            else:  # in a team or group chat: the installer's 1:1, after the 200
                self.remember_later(actor, activity)
            self.met(actor)

    async def send(self, person_id: int, reply: Reply, key: str | None = None) -> None:
        """The core's `Channel`: a proactive message to the person's 1:1 with the bot."""
        reference = await self.bot.conversation_of(person_id, "teams")
        if reference is None:
            raise Unreachable(f"person {person_id} has not talked to the bot in Teams")
        if not self.gate.reaches(reference.get("channelId"), reference.get("serviceUrl")):
            raise Unreachable(f"person {person_id}'s Teams conversation is not on a served channel")
        tenant = str(part(reference, "conversation").get("tenantId") or "")
        reference = await personal.personal_reference(self.connector, reference, tenant)
        chart_url = await self.charts.url(reply.image)
        await personal.send(self.connector, reference, reply, chart_url, whole=True)


def invoke_answer(reply: Reply | None, line: str = "") -> web.Response:
    """A card in the invoke's answer, or (for `line`) a message shown to the presser only."""
    if reply is None:
        body = {
            "statusCode": 200,
            "type": "application/vnd.microsoft.activity.message",
            "value": line,
        }
    else:
        body = {"statusCode": 200, "type": cards.CARD_TYPE, "value": cards.fitted_card(reply)}
    return web.json_response(body)


TEAMS_EDGE: web.AppKey[TeamsEdge] = web.AppKey("teams_edge", TeamsEdge)


def mount(app: web.Application, bot: PlaceBot, settings: Settings) -> TeamsEdge:
    edge = TeamsEdge(bot, settings)
    app[TEAMS_EDGE] = edge
    app.router.add_post("/api/messages", edge.handle_http)

    async def close(_app: web.Application) -> None:
        await edge.work.close()
        await edge.connector.close()

    app.on_shutdown.append(close)
    app.cleanup_ctx.append(answers.resending(bot, edge.connector))
    if edge.signing_keys is not None:
        app.cleanup_ctx.append(signing_keys.kept_fresh(edge.signing_keys))
    return edge
