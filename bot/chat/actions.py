"""Every button the bot puts in a reply, declared once: its handler, who may press it, whether it
opens a form, and what to type for the same effect where buttons cannot call back (email).

Buttons on an offer (withdraw, edit, confirm, decline) are for anyone the bot has met: who may
change a given offer is decided per offer by `require_manage_offer` in the services, as it is
for the typed commands and the register API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.chat import home, paging
from bot.chat.commands import blocks as block_commands
from bot.chat.commands import hei_requests as hei_request_commands
from bot.chat.commands import membership as membership_commands
from bot.chat.commands import nudges as nudge_commands
from bot.chat.commands import personal_data
from bot.chat.commands import placement as placement_commands
from bot.chat.commands import training as training_commands
from bot.chat.commands import withdrawal as withdrawal_commands
from bot.chat.commands.refs import ref_and_version
from bot.chat.roles import ANYONE, Handler, Roles
from bot.kernel.context import Context
from bot.kernel.errors import UserError
from bot.kernel.messages import Reply

NO_LONGER_IN_USE = "That button is no longer in use. Type `placement help` to see what I can do."


@dataclass(frozen=True)
class Action:
    """One button's meaning. `typed` may use {ref} (the value before any ":version") and {value}."""

    id: str
    handler: Handler  # (ctx, the button's value) -> Reply
    typed: str
    opens_form: bool = False  # a retried press may open the form again, so it is not deduplicated
    roles: Roles = ANYONE
    typed_blank: str = ""  # what {value} stands for in `typed` when the button carries none

    def typed_for(self, value: str) -> str:
        """The command to type with the same effect as pressing this button with `value`."""
        ref = value.split(":", 1)[0].strip()  # offer buttons carry "REF:version"
        return self.typed.format(ref=ref, value=value or self.typed_blank).strip()


_TABLE: dict[str, Action] = {}
ACTIONS: Mapping[str, Action] = MappingProxyType(_TABLE)


def action(
    action_id: str,
    *,
    typed: str,
    opens_form: bool = False,
    roles: tuple[str, ...] = (),
    doing: str = "",
    typed_blank: str = "",
) -> Callable[[Handler], Handler]:
    """Declare the decorated `(ctx, value)` handler as what pressing `action_id` does."""
    rule = Roles(roles, doing) if roles else ANYONE

    def declare(handler: Handler) -> Handler:
        if action_id in _TABLE:
            raise ValueError(f"button {action_id!r} is declared twice")
        _TABLE[action_id] = Action(action_id, handler, typed, opens_form, rule, typed_blank)
        return handler

    return declare


async def press(
    ctx: Context, action_id: str, value: str, table: Mapping[str, Action] = ACTIONS
) -> Reply:
    """What pressing the button does, after its declared roles are checked."""
    found = table.get(action_id)
    if found is None:
        raise UserError(NO_LONGER_IN_USE)
    found.roles.check(ctx.require_person())
    return await found.handler(ctx, value)


# --- The buttons ---


@action("offer.withdraw", typed="placement withdraw {ref}")
async def withdraw_offer(ctx: Context, value: str) -> Reply:
    """Asks first: what withdrawing will do, with Yes, withdraw and Keep it."""
    return await withdrawal_commands.ask(ctx, value)


@action("offer.withdraw.confirm", typed="placement withdraw {ref}")
async def confirm_withdraw(ctx: Context, value: str) -> Reply:
    ref, version = ref_and_version(value)
    return await withdrawal_commands.withdraw(ctx, ref, version)


@action("offer.keep", typed="placement mine")
async def keep_offer(ctx: Context, value: str) -> Reply:
    return await withdrawal_commands.keep(ctx, value)


@action("offer.undo", typed="placement undo {ref}")
async def undo_withdraw(ctx: Context, value: str) -> Reply:
    return await withdrawal_commands.undo(ctx, value)


SHOWS_MORE = ("training", "placement list", "placement mine")


@action(paging.MORE, typed="{value}")
async def show_more(ctx: Context, value: str) -> Reply:
    """The next page of a list: the button carries the command with its page."""
    command = " ".join(value.split())
    if command.startswith("training "):
        return await training_commands.list_training(ctx, command.removeprefix("training "))
    if command.startswith(SHOWS_MORE[1:]):
        return await placement_commands.run(ctx, command.removeprefix("placement "))
    raise UserError(NO_LONGER_IN_USE)


@action("offer.post", typed="placement post {value}")
async def post_reading(ctx: Context, value: str) -> Reply:
    """Post under an offer shown as read: stores it once, however often it is pressed."""
    return await placement_commands.post_reading(ctx, value)


@action("offer.reading.edit", typed="placement offer", opens_form=True)
async def edit_reading(ctx: Context, value: str) -> Reply:
    return await placement_commands.edit_reading(ctx, value)


@action("offer.edit", typed="placement edit {ref}", opens_form=True)
async def edit_offer(ctx: Context, value: str) -> Reply:
    return await placement_commands.open_edit_form(ctx, value)


@action("offer.confirm", typed="placement confirm {value}")
async def confirm_request(ctx: Context, value: str) -> Reply:
    return await placement_commands.confirm(ctx, value)


@action("offer.decline", typed="placement decline {value}")
async def decline_request(ctx: Context, value: str) -> Reply:
    return await placement_commands.decline(ctx, value)


@action(
    "offer.request",
    typed="placement request {ref}",
    opens_form=True,
    roles=("hei_lead",),
    doing="request places for an HEI",
)
async def request_places_form(ctx: Context, value: str) -> Reply:
    return await hei_request_commands.open_form(ctx, value)


@action("offer.form", typed="placement offer", opens_form=True)
async def offer_form(ctx: Context, _value: str) -> Reply:
    return await placement_commands.offer(ctx, "")


@action("block.offer", typed="placement offer ... block {ref}", opens_form=True)
async def offer_for_block(ctx: Context, value: str) -> Reply:
    return await block_commands.open_offer_form_for_block(ctx, value)


TEAM_ANSWERERS = ("clinician", "coordinator")


@action(
    "block.maybe", typed="placement maybe {ref}", roles=TEAM_ANSWERERS, doing="answer for a team"
)
async def answer_maybe(ctx: Context, value: str) -> Reply:
    return await block_commands.answer_maybe(ctx, value)


@action("block.none", typed="placement none {ref}", roles=TEAM_ANSWERERS, doing="answer for a team")
async def answer_none(ctx: Context, value: str) -> Reply:
    return await block_commands.answer_none(ctx, value)


@action("membership.confirm", typed="placement member confirm {value}")
async def confirm_member(ctx: Context, value: str) -> Reply:
    return await membership_commands.decide(ctx, value, confirm=True)


@action("membership.decline", typed="placement member decline {value}")
async def decline_member(ctx: Context, value: str) -> Reply:
    return await membership_commands.decide(ctx, value, confirm=False)


@action("nudges.snooze", typed="nudges snooze {value}", typed_blank="2w")
async def snooze(ctx: Context, value: str) -> Reply:
    return await nudge_commands.run(ctx, f"snooze {value}")


@action("home", typed="placement mine")
async def show_home(ctx: Context, _value: str) -> Reply:
    return await home.home(ctx)


FACULTY_LEAD = ("faculty_lead",)


@action(
    personal_data.CONFIRM,
    typed="admin person erase EMAIL",
    roles=FACULTY_LEAD,
    doing="erase a person's data",
)
async def confirm_erase(ctx: Context, value: str) -> Reply:
    return await personal_data.confirmed(ctx, value)


@action(personal_data.KEEP, typed="admin people", roles=FACULTY_LEAD, doing="erase a person's data")
async def keep_person(ctx: Context, value: str) -> Reply:
    return await personal_data.keep(ctx, value)


FORM_OPENERS: frozenset[str] = frozenset(a.id for a in ACTIONS.values() if a.opens_form)
