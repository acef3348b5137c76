"""The bot: one entry point that turns any `Command` into a `Reply`, in one transaction."""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from bot.chat import actions, receipts, suggest
from bot.chat.answers import KeptAnswers
from bot.chat.commands import admin as admin_commands
from bot.chat.commands import digests as digest_commands
from bot.chat.commands import hei_requests as hei_request_commands
from bot.chat.commands import nudges as nudge_commands
from bot.chat.commands import placement as placement_commands
from bot.chat.commands import summary as summary_commands
from bot.chat.commands import training as training_commands
from bot.chat.commands.refs import ref_and_version
from bot.chat.faults import Faults
from bot.chat.help import help_reply
from bot.kernel.clock import Clock
from bot.kernel.context import Context
from bot.kernel.errors import FieldErrors, StaleVersion, UserError
from bot.kernel.messages import Actor, Command, Reply
from bot.kernel.numbers import whole_number
from bot.kernel.text import clean_command
from bot.offers import service as offers
from bot.offers.form import OFFER_CREATE, OFFER_EDIT, offer_form
from bot.offers.parsing import OFFER_EXAMPLE
from bot.offers.views import offer_card
from bot.people import conversations
from bot.people import directory as people
from bot.people.cache import KnownPeople
from bot.requests.form import REQUEST_FORM
from config.settings import Settings
from storage.transactions import CommitUncertain, in_transaction

log = logging.getLogger(__name__)

MAX_TEXT = 1000
_LEADING_NOISE = re.compile(r"^(?:\s|/|@placebot\b|<at>[^<]*</at>)+", re.IGNORECASE)
_PLACEMENT_VERBS = set(placement_commands.SUBCOMMANDS) - {"help"}
GROUPS = {
    "placement": placement_commands.run,
    "placements": placement_commands.run,
    "training": training_commands.run,
    "nudges": nudge_commands.run,
    "digest": digest_commands.run,
    "digests": digest_commands.run,
    "admin": admin_commands.run,
    "summary": summary_commands.run,
}
_OTHER_GROUPS = set(GROUPS) - {"placement", "placements"}
_MULTI_LINE_FIELDS = frozenset(f.name for f in offer_form().fields if f.kind == "textarea")


def normalise(text: str) -> str:
    """The words as typed, minus a leading slash or @mention, on one line."""
    return re.sub(r"\s+", " ", _LEADING_NOISE.sub("", text)).strip()


def error_reply(error: UserError) -> Reply:
    text = error.message + (f"\nFor example: {error.example}" if error.example else "")
    return Reply(text=text, tone="error", private=True)


class PlaceBot:
    """Platform-neutral: adapters build `Command`s and render the `Reply`s this returns."""

    FORM_OPENERS = actions.FORM_OPENERS  # buttons that open a form: a repeat press opens it again

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        clock: Clock | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock or Clock(zone=settings.timezone)
        self.known = KnownPeople()
        self.faults = Faults(log)
        self.answers = KeptAnswers(sessions, self.clock, self.faults)

    async def handle(self, command: Command) -> Reply:
        """Never raises: problems become polite replies and nothing is stored half-way."""
        reply = await self.handle_once(command)
        return reply if reply is not None else Reply(text="Already done.", private=True)

    async def handle_or_recall(
        self, command: Command, respond_to: str | None = None, answered: bool = True
    ) -> Reply:
        """As `handle`, but a delivery handled before gets the answer it got then: for a
        platform that retries because the first answer never reached it. The answer is kept,
        and due at `respond_to` until `answers.due` says it went, unless `answered` already
        (it goes in the acknowledgement); see `answers`."""
        reply = await self.handle_once(command, keep=True, respond_to=respond_to, answered=answered)
        if reply is not None or not command.delivery_key:
            return reply or Reply(text="Already done.", private=True)
        async with self.sessions() as session:
            kept = await receipts.kept_reply(session, command.delivery_key)
        return kept or Reply(text="Already done.", private=True)

    async def handle_once(
        self,
        command: Command,
        keep: bool = False,
        respond_to: str | None = None,
        answered: bool = False,
    ) -> Reply | None:
        """As `handle`, but None when the command's delivery key was handled before. With
        `keep`, the answer is stored with the receipt (see `handle_or_recall`), due at
        `respond_to` unless `answered`."""
        command = clean_command(command, _MULTI_LINE_FIELDS)  # before anything reads it
        if len(command.text) > MAX_TEXT:
            return error_reply(
                UserError(
                    f"That message is {len(command.text):,} characters long; commands are at most "
                    f"{MAX_TEXT:,}. Put long notes in the offer form instead.",
                    example="placement offer",
                )
            )

        async def work(session: AsyncSession) -> Reply:
            if command.delivery_key:  # first, so a twin waits on it and then stands down
                await receipts.record(session, command.delivery_key, self.clock.now())
            person = await people.meet(session, command.actor, self.clock, self.known)
            ctx = Context(session, person, self.clock, self.settings, command.actor.platform)
            reply = await self._dispatch(ctx, command)
            if keep and command.delivery_key:
                given = self.clock.now() if answered or respond_to is None else None
                await receipts.keep_reply(session, command.delivery_key, reply, respond_to, given)
            return reply

        try:  # a connection that broke mid-way is replaced and the command run once more
            reply = await in_transaction(self.sessions, work)
        except receipts.AlreadyHandled:
            return None
        except Exception as problem:
            key = command.delivery_key
            handled = await self._handled_meanwhile(key) if key else None
            if handled:  # a twin delivery did the work, or the uncertain commit landed after all
                return None
            if handled is False and isinstance(problem, CommitUncertain):
                problem = problem.error  # it did not land: nothing was saved
            return await self._problem_reply(command, problem)
        self.faults.worked()
        return reply

    async def _handled_meanwhile(self, key: str) -> bool | None:
        """Whether the delivery's receipt is stored; None when the database cannot say."""
        try:
            async with self.sessions() as session:
                await receipts.check_new(session, key)
        except receipts.AlreadyHandled:
            return True
        except Exception:  # the database is still away: the failure itself was noted already
            return None
        return False

    async def _problem_reply(self, command: Command, problem: Exception) -> Reply:
        """What went wrong, politely: beside the form's fields, or as a sentence with an example."""
        if command.form_id and isinstance(problem, UserError) and problem.field:
            problem = FieldErrors({problem.field: problem.message})  # beside its field
        match problem:
            case FieldErrors():
                return self._form_errors(command, problem)
            case StaleVersion():
                return await self._stale(command, problem)
            case UserError():
                return error_reply(problem)
            case StaleDataError():
                return error_reply(
                    UserError("Someone changed that record at the same moment. Please try again.")
                )
        what = command.text[:200] or command.action or command.form_id
        return self.faults.noted(problem, f"command failed: {what!r}")

    async def knows(self, actor: Actor) -> bool:
        """Whether this platform identity has met the bot (adapters look names up only once)."""
        if self.known.get(actor) is not None:  # met seconds ago: no connection taken
            return True
        async with self.sessions() as session:
            return await people.find_person(session, actor) is not None

    async def remember_conversation(self, actor: Actor, reference: dict[str, Any]) -> None:
        """Keep where to reach this person later (a Teams conversation reference)."""
        async with self.sessions.begin() as session:
            person = await people.meet(session, actor, self.clock, self.known)
            ctx = Context(session, person, self.clock, self.settings, actor.platform)
            await conversations.remember(ctx, actor.platform, actor.tenant, reference)

    async def conversation_of(self, person_id: int, platform: str) -> dict[str, Any] | None:
        async with self.sessions() as session:
            ctx = Context(session, None, self.clock, self.settings, platform)
            return await conversations.reference_for(ctx, person_id, platform)

    async def home(self, actor: Actor) -> Reply:
        """The person's home view: their offers, blocks that need places, next training."""
        return await self.handle(Command(actor, action="home"))

    async def _dispatch(self, ctx: Context, command: Command) -> Reply:
        if command.form_id is not None:
            return await self._form(ctx, command)
        if command.action is not None:
            return await self._action(ctx, command)
        text = normalise(command.text)
        if not text:
            return Reply(
                text="Type a command to start, e.g. `placement offer` or `training OT`.",
                facts=help_reply().facts,
                private=True,
            )
        head, _, rest = text.partition(" ")
        head = head.lower()
        second, _, after = rest.partition(" ")
        if head in ("placement", "placements") and second.lower() in _OTHER_GROUPS:
            head, rest = second.lower(), after  # Slack: `/placement digest`, `/placement admin`
        if head in GROUPS:
            return await GROUPS[head](ctx, rest)
        if head in ("help", "?", "hello", "hi"):
            return help_reply()
        if head in _PLACEMENT_VERBS:  # Teams users often leave out "placement"
            return await placement_commands.run(ctx, text)
        meant = suggest.closest(head, [*GROUPS, *_PLACEMENT_VERBS, "help"])
        if meant is not None:
            again = f"{meant} {rest}".strip()
            raise UserError(
                f"I didn't understand {suggest.quoted(text)}. Did you mean `{again}`?",
                example="placement help",
            )
        raise UserError(
            f"I didn't understand {suggest.quoted(text)}. "
            "Commands begin placement, training, nudges, digest, summary or admin.",
            example="placement help",
        )

    async def _action(self, ctx: Context, command: Command) -> Reply:
        return await actions.press(ctx, command.action or "", command.value)

    async def _form(self, ctx: Context, command: Command) -> Reply:
        if command.form_id == OFFER_CREATE:
            return await placement_commands.submit_offer_form(ctx, command.form_values)
        if command.form_id == OFFER_EDIT:
            return await placement_commands.submit_edit_form(ctx, command.form_values)
        if command.form_id == REQUEST_FORM:
            return await hei_request_commands.submit_form(ctx, command.form_values)
        raise UserError("That form is no longer in use. Type `placement offer` for a new one.")

    def _form_errors(self, command: Command, problem: FieldErrors) -> Reply:
        """The same form again with each problem beside its field and the typed values kept."""
        values = dict(command.form_values)
        edit = None
        version = whole_number(values.get("version", ""))
        if command.form_id == OFFER_EDIT and version is not None:
            edit = (values.get("ref", ""), version)
        if command.form_id is None:  # a one-line offer or edit: say it in a sentence
            return error_reply(UserError(" ".join(problem.errors.values()), example=OFFER_EXAMPLE))
        return Reply(
            text=problem.message + " " + " ".join(problem.errors.values()),
            tone="error",
            form=offer_form(errors=problem.errors, raw=values, edit=edit),
            private=True,
        )

    async def _stale(self, command: Command, stale: StaleVersion) -> Reply:
        ref = command.form_values.get("ref") or ref_and_version(command.value)[0]
        async with self.sessions.begin() as session:
            person = await people.find_person(session, command.actor)
            ctx = Context(session, person, self.clock, self.settings, command.actor.platform)
            current = await offers.get_offer(ctx, ref)
            card = offer_card(current, person, stale.message)
        return Reply(
            text=card.text, tone="error", facts=card.facts, buttons=card.buttons, private=True
        )
