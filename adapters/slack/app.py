"""slack-bolt on the shared aiohttp server: translate Slack payloads to core commands and back.

Inbound only: the outbox reaches people through `adapters.slack.channel`. An acknowledgement is
a promise, as Slack does not retry what it got a 200 for: a command, a button or a form is
stored (committed) before it is acknowledged, never after: its work, or in a burst the command
itself, in the inbox (`inboxed`). A command worked at once is answered in the acknowledgement
itself, so the answer is as durable as the ack; a button's goes after, through the
response_url, as does a command's from the inbox or whose work outlasted `ACK_BUDGET_SECONDS`
(its ack may reach Slack too late to be shown). Each delivery carries a key (trigger id, view
id, event id) so that Slack's retries and double clicks act once, and a retried command gets
its first answer again.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from aiohttp import web
from slack_bolt import BoltResponse
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError

from adapters.background import BackgroundWork
from adapters.slack import answers, blocks, shape
from adapters.slack.channel import DirectMessages, rate_limited
from adapters.slack.inboxed import InboxedCommands, Respond
from adapters.slack.payloads import as_typed, command_key, web_client, workspace_of
from adapters.slack.wire_body import slack_request
from bot.chat.actions import ACTIONS
from bot.chat.placebot import PlaceBot
from bot.kernel.messages import Actor, Command, Reply
from config.settings import Settings

log = logging.getLogger(__name__)

COMMANDS = ("/placement", "/training", "/nudges", "/digest", "/admin", "/summary")
FORM_OPENERS = PlaceBot.FORM_OPENERS  # declared with each button in bot/chat/actions.py


# A button's action id is `{action}:{position}` (Block Kit wants each unique in a message);
# only the core's declared buttons are listened to, so a link button's press is left alone.
CORE_ACTION = re.compile(
    r"^(?P<action>" + "|".join(re.escape(name) for name in sorted(ACTIONS)) + r"):\d+$"
)
TIMESTAMP = "X-Slack-Request-Timestamp"
ACK_BUDGET_SECONDS = 2.0  # of the 3 Slack allows: the rest is for the network both ways


class SlackEdge:
    """Owns the bolt app; `handle_http` is the aiohttp view for `POST /slack/events`."""

    def __init__(self, bot: PlaceBot, settings: Settings) -> None:
        self.bot = bot
        self.client = web_client(settings)
        self.dms = DirectMessages(self.client)
        self.team_ids = settings.slack_team_ids
        # Listeners run before the response goes back: commands and buttons ack and queue their
        # work at once (no polling for the ack), forms are checked first so errors can be shown.
        self.app = AsyncApp(
            signing_secret=settings.slack_signing_secret,
            client=self.client,
            process_before_response=True,
            # After the signature check and before anything else, users.info included.
            before_authorize=self.only_listed_workspaces,
        )
        self.work = BackgroundWork(edge="slack")
        self.inboxed = InboxedCommands(self, settings)
        for name in COMMANDS:
            self.app.command(name)(self.on_command)
        self.app.action(CORE_ACTION)(self.on_action)
        self.app.action(re.compile(r"^link:\d+$"))(self.on_link)
        self.app.view(re.compile(r"^offer\.(create|edit)$"))(self.on_view_submission)
        self.app.event("app_home_opened")(self.on_home_opened)

    async def only_listed_workspaces(
        self, body: dict[str, Any], next_: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """A signed body of the wrong shape (`shape`) is answered 400; SLACK_TEAM_IDS: a
        workspace not listed is answered 403. In either case no listener runs."""
        if shape.MALFORMED in body:
            log.warning("Slack request refused: %s", body[shape.MALFORMED])
            return BoltResponse(status=400, body={"error": body[shape.MALFORMED]})
        if not self.team_ids or body.get("type") == "url_verification":
            await next_()  # Slack's check of the URL names no workspace
            return None
        team_id = workspace_of(body)
        if team_id in self.team_ids:
            await next_()
            return None
        log.warning("Slack request refused: workspace %r is not in SLACK_TEAM_IDS", team_id)
        return BoltResponse(status=403, body={"error": "this workspace is not served here"})

    async def handle_http(self, request: web.Request) -> web.Response:
        stamp = request.headers.get(TIMESTAMP, "")
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
            # slack_sdk's check reads it with int(): "abc" or "1.5" would be a 500, not a 401
            return web.json_response(
                {"error": f"{TIMESTAMP} must be the request's time in whole seconds"}, status=401
            )
        # Read by our parser: bolt's takes any form with the word "payload" in it for a button.
        response = await self.app.async_dispatch(await slack_request(request))
        return await to_aiohttp_response(response)

    async def actor(self, team_id: str, user_id: str, handle: object = None) -> Actor:
        """The core's actor; a user met for the first time is looked up once with users.info.
        `handle`, the user name the payload carries, is kept as one of the names they go by."""
        shown = (handle,) if isinstance(handle, str) and handle else ()
        actor = Actor(platform="slack", tenant=team_id, external_id=user_id, aliases=shown)
        if await self.bot.knows(actor):
            return actor
        try:
            found = (await self.client.users_info(user=user_id)).get("user") or {}
        except SlackApiError as error:
            log.warning("users.info failed for %s: %s", user_id, error.response.status_code)
            found = {}
        profile = found.get("profile") or {}
        name = profile.get("real_name") or found.get("real_name") or found.get("name") or ""
        others = (found.get("name"), profile.get("display_name"))  # the handle; as shown in Slack
        aliases = tuple(other for other in (*others, *shown) if isinstance(other, str) and other)
        return Actor("slack", user_id, team_id, name, profile.get("email"), aliases)

    @staticmethod
    async def timed(work: Awaitable[Reply | None]) -> tuple[Reply | None, bool]:
        """The stored work's answer, and whether it took longer than `ACK_BUDGET_SECONDS` (so
        that the acknowledgement may reach Slack too late to be shown)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        reply = await work
        return reply, loop.time() - started > ACK_BUDGET_SECONDS

    async def on_command(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        if self.inboxed.busy and await self.inboxed.keep(body):
            await ack()  # stored: it is worked from the inbox and answered at its response_url
            return
        async with self.inboxed.direct():
            reply, late = await self.timed(self.run_command(body))
        if late and reply is not None and reply.form is None:  # the ack may come too late
            try:  # so the answer is due at the response_url until it has gone there
                await self.bot.answers.due(command_key(body), answered=False)
            except Exception as error:  # the work is stored: it is acknowledged and answered
                self.bot.faults.noted(error, "Slack command: its answer not marked as due")
        if late or reply is None or reply.form is not None:  # a modal opens via the Web API
            await ack()
            self.work.submit(lambda: self.answer(reply, respond, body, command_key(body)))
            return
        kind = "ephemeral" if reply.private else "in_channel"
        await ack(response_type=kind, **blocks.message(reply))

    async def run_command(self, body: dict[str, Any], answered: bool = True) -> Reply:
        """Store the command; its answer (the first one again, for Slack's retry of it), kept
        as due at the response_url unless `answered` (it goes in the acknowledgement)."""
        try:
            actor = await self.actor(
                body.get("team_id", ""), body.get("user_id", ""), body.get("user_name")
            )
        except Exception as error:  # the database away (logged once), or a bug
            return self.bot.faults.noted(error, "Slack command: the person could not be looked up")
        words = f"{body.get('command', '').lstrip('/')} {as_typed(body.get('text', ''))}"
        command = Command(actor, text=words, delivery_key=command_key(body))
        url = body.get("response_url")
        return await self.bot.handle_or_recall(command, respond_to=url, answered=answered)

    async def on_action(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        reply, key = await self.run_action(body)
        await ack()
        if reply is not None:
            self.work.submit(lambda: self.answer(reply, respond, body, key))

    async def run_action(self, body: dict[str, Any]) -> tuple[Reply | None, str | None]:
        """Store the press; its answer (None for a repeat) and the key it is kept under."""
        action = body["actions"][0]
        match = CORE_ACTION.match(action.get("action_id", ""))
        if match is None:
            return None, None
        user = body.get("user") or {}
        try:
            actor = await self.actor(
                (body.get("team") or {}).get("id", ""), user.get("id", ""), user.get("username")
            )
        except Exception as error:
            return self.bot.faults.noted(
                error, "Slack button: the person could not be looked up"
            ), None
        message_ts = (body.get("container") or {}).get("message_ts") or (
            body.get("view") or {}
        ).get("id")
        key = ":".join(
            [
                "slack:action",
                user.get("id", ""),
                str(message_ts),
                action["action_id"],
                action.get("value", ""),
            ]
        )
        name = match.group("action")
        # A button that changes a record acts once per message, however often it is clicked;
        # one that only opens a form may be pressed again (after the form was cancelled).
        once = None if name in FORM_OPENERS else key
        command = Command(actor, action=name, value=action.get("value", ""), delivery_key=once)
        url = body.get("response_url")
        reply = await self.bot.handle_once(command, keep=True, respond_to=url, answered=False)
        return reply, once

    async def on_link(self, ack: AsyncAck) -> None:
        await ack()  # link buttons open in the browser; Slack still expects an acknowledgement

    async def on_view_submission(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        user = body.get("user") or {}
        actor = await self.actor(
            (body.get("team") or {}).get("id", ""), user.get("id", ""), user.get("username")
        )
        command = Command(
            actor,
            form_id=view.get("callback_id"),
            form_values=blocks.submitted_values(view),
            delivery_key=f"slack:view:{view.get('id')}",
        )
        reply = await self.bot.handle_once(command)
        if reply is not None and reply.form is not None:
            errors = {f.name: f.error[:150] for f in reply.form.fields if f.error}
            if errors:
                await ack(response_action="errors", errors=errors)
                return
        await ack()
        if reply is not None:
            self.work.submit(lambda: self.send_to_user(user.get("id", ""), reply))

    async def on_home_opened(
        self, ack: AsyncAck, event: dict[str, Any], body: dict[str, Any]
    ) -> None:
        await ack()
        if event.get("tab") == "home":
            self.work.submit(lambda: self.publish_home(event, body))

    async def publish_home(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        actor = await self.actor(body.get("team_id", ""), event.get("user", ""))
        reply = await self.bot.home(actor)
        view = {"type": "home", "blocks": blocks.home_blocks(reply)}
        await self.client.views_publish(user_id=event.get("user", ""), view=view)

    async def answer(
        self, reply: Reply | None, respond: Respond, body: dict[str, Any],
        key: str | None = None,
    ) -> None:  # fmt: skip
        """A form opens as a modal; anything else answers in the conversation, or (from the
        App Home tab, which has no response_url) as a direct message. An answer kept under
        `key` is then recorded as given, so it is not sent again after a restart."""
        if reply is None:
            return  # a retry of something already answered
        trigger_id = body.get("trigger_id")
        if reply.form is not None and trigger_id:
            await self.client.views_open(
                trigger_id=trigger_id, view=blocks.modal(reply.form, reply.text)
            )
            return
        if not body.get("response_url"):
            user_id = body.get("user_id") or (body.get("user") or {}).get("id", "")
            await self.send_to_user(user_id, reply)
            return
        response = await respond(
            response_type="ephemeral" if reply.private else "in_channel",
            **blocks.message(reply),
        )
        if response.status_code != 200:  # kept, and sent again shortly (`answers`)
            log.warning("Slack answer %s not sent yet: HTTP %s", key, response.status_code)
        elif key:
            await self.bot.answers.given(key)

    async def send_to_user(self, user_id: str, reply: Reply) -> None:
        """A direct message in answer to the person (429s are retried by the client), with
        its chart in the same message."""
        try:
            await self.dms.post(user_id, reply)
        except SlackApiError as error:
            limited = rate_limited(error)
            if limited is None:
                raise
            raise limited from error


SLACK_EDGE: web.AppKey[SlackEdge] = web.AppKey("slack_edge", SlackEdge)


def socket_mode(
    edge: SlackEdge, app_token: str
) -> Callable[[web.Application], AbstractAsyncContextManager[None]]:
    """For workspaces that cannot expose an HTTP endpoint: the same app over a WebSocket."""

    @asynccontextmanager
    async def connected(_app: web.Application) -> AsyncIterator[None]:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(edge.app, app_token)
        await handler.connect_async()
        try:
            yield
        finally:
            await handler.close_async()

    return connected


def mount(app: web.Application, bot: PlaceBot, settings: Settings) -> SlackEdge:
    edge = SlackEdge(bot, settings)
    app[SLACK_EDGE] = edge
    app.router.add_post("/slack/events", edge.handle_http)

    async def start_inbox(_app: web.Application) -> None:
        edge.inboxed.start()

    async def finish_work(_app: web.Application) -> None:
        await edge.inboxed.stop()
        await edge.work.close()

    app.on_startup.append(start_inbox)
    app.on_shutdown.append(finish_work)
    app.cleanup_ctx.append(answers.resending(edge.bot))
    return edge
