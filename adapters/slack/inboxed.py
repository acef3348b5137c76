"""Slack commands in a burst: kept in the command inbox before their acknowledgement, worked
from there (`adapters.inbox_runner`), answered at their response_url.

A command is worked before its acknowledgement while fewer than `DIRECT_LIMIT` are in hand, so
its answer comes in the acknowledgement; past that, queueing for the database would make the
acknowledgement late (Slack shows an error after 3 seconds), so the command is kept (one
insert for all that arrive together) and acknowledged at once. Answers go out through their own
pool, so slow response_urls never hold back the storing of other commands.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from aiohttp import ClientSession, ClientTimeout
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook.async_client import AsyncWebhookClient, WebhookResponse

from adapters.background import BackgroundWork
from adapters.inbox_runner import InboxRunner
from adapters.slack.payloads import command_key
from bot.chat.inbox import CommandInbox
from bot.kernel.messages import Reply
from config.settings import Settings

if TYPE_CHECKING:
    from adapters.slack.app import SlackEdge

log = logging.getLogger(__name__)

Respond = Callable[..., Awaitable[WebhookResponse]]  # bolt's `respond`, or `respond_to`'s
# A command is a few milliseconds of database work: four in hand keep an acknowledgement prompt.
DIRECT_LIMIT = 4
INBOX_WORKERS = 4  # on SQLite they share one connection, but overlap their users.info calls
REPLIES_IN_FLIGHT = 32  # answers at response_urls, each a request that may take a while
FORM_TOO_LATE = Reply(
    text="Slack gives a form 3 seconds to open and this one took longer, as many commands came "
    "in at once. Please type the command again.",
    private=True,
)


class InboxedCommands:
    def __init__(self, edge: SlackEdge, settings: Settings) -> None:
        self.edge = edge
        self.direct_in_hand = 0
        self.replies = BackgroundWork(workers=REPLIES_IN_FLIGHT, edge="slack")
        self.http: ClientSession | None = None  # for answers at response_urls (`respond_to`)
        self.runner = InboxRunner(
            CommandInbox(edge.bot.sessions, edge.bot.clock, "slack"),
            self.work,
            workers=INBOX_WORKERS,
            # SQLite serves one process: a claim standing at its start was left by one that died
            sole=settings.database_url.startswith("sqlite"),
        )

    @property
    def busy(self) -> bool:
        """Whether a command now would queue for the database for long: then it goes to the
        inbox, so that its acknowledgement stays prompt however many arrive at once."""
        return self.direct_in_hand >= DIRECT_LIMIT or self.runner.backlog > 0

    @asynccontextmanager
    async def direct(self) -> AsyncIterator[None]:
        """Around a command worked before its acknowledgement."""
        self.direct_in_hand += 1
        try:
            yield
        finally:
            self.direct_in_hand -= 1

    async def keep(self, body: dict[str, Any]) -> bool:
        """Store the command to be worked after its acknowledgement; False when the database
        would not take it (the command is then run at once and answered "try again")."""
        try:
            await self.runner.keep(command_key(body), body)
        except Exception as error:
            self.edge.bot.faults.noted(error, "Slack command: not kept in the inbox")
            return False
        return True

    async def work(self, body: dict[str, Any]) -> bool:
        """Work a command kept in the inbox; False to try it again later (the database away).
        Its answer is kept with its receipt before it is sent, so a crash does not lose it."""
        faults = self.edge.bot.faults
        reply = await self.edge.run_command(body, answered=False)
        if faults.is_sorry(reply) and faults.database_down:
            return False
        self.replies.submit(lambda: self.answer(reply, body))
        return True

    def respond_to(self, body: dict[str, Any]) -> Respond:
        """The response_url as bolt's `respond`, on one HTTP session for every answer (bolt's
        opens a session, and its connections, per answer)."""
        if self.http is None or self.http.closed:
            self.http = ClientSession(timeout=ClientTimeout(total=30))
        hook = AsyncWebhookClient(body.get("response_url") or "", session=self.http)

        async def send(**message: Any) -> WebhookResponse:
            return await hook.send(**message)

        return send

    async def answer(self, reply: Reply, body: dict[str, Any]) -> None:
        """As the edge answers; a form cannot open once Slack's 3 seconds for its trigger have
        gone, so the person is then asked to type the command again."""
        key, respond = command_key(body), self.respond_to(body)
        if reply.form is not None:
            try:
                await self.edge.answer(reply, respond, body, key)
            except SlackApiError as error:
                log.info("Slack form not opened late: %s", error.response.get("error"))
                reply = FORM_TOO_LATE
            else:
                await self.edge.bot.answers.given(key)
                return
        await self.edge.answer(reply, respond, body, key)

    def start(self) -> None:
        self.runner.start()

    async def stop(self) -> None:
        """The inbox first: its commands' answers go through `replies`."""
        await self.runner.stop()
        await self.replies.close()
        if self.http is not None:
            await self.http.close()
