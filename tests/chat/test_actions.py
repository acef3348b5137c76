"""The button table: every button a reply can carry is declared once, with its handler, the
typed command of the same effect, whether it opens a form, and who may press it."""

from __future__ import annotations

import ast
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import select

from bot.chat import actions
from bot.chat.placebot import PlaceBot
from bot.chat.roles import Roles, requires_any_role
from bot.chat.typed import typed_command
from bot.kernel.context import Context
from bot.kernel.errors import NotAllowed, UserError
from bot.kernel.messages import Button, Reply
from bot.offers.form import OFFER_CREATE, OFFER_EDIT
from bot.people import directory as people
from bot.requests.form import REQUEST_FORM
from storage.tables import CapacityAnswer, MembershipClaim, PlacementOffer
from tests.support.chat import Chat, button, fact
from tests.support.paths import ROOT

BOT = ROOT / "bot"
ANSWER_REFUSAL = (
    "Only clinicians or coordinators can answer for a team. Ask your AHP faculty lead for the role."
)


def button_actions_in_bot() -> dict[str, list[str]]:
    """Each action id written in a `Button(...)` anywhere in bot/, with where it is written."""
    found: dict[str, list[str]] = {}
    for path in BOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Button"):
                continue
            given = node.args[1] if len(node.args) > 1 else None
            given = next((k.value for k in node.keywords if k.arg == "action"), given)
            if isinstance(given, ast.Constant) and isinstance(given.value, str):
                found.setdefault(given.value, []).append(f"{path.name}:{node.lineno}")
    return found


def test_every_button_a_reply_can_carry_is_declared() -> None:
    written = button_actions_in_bot()
    assert len(written) >= 9  # the scan really read the buttons
    calling_back = set(written) - {"link"}  # a link button opens its URL and never calls back
    assert calling_back - set(actions.ACTIONS) == set()
    # and nothing declared is dead: "home" is the one id pressed by PlaceBot.home, not a Button
    assert set(actions.ACTIONS) - calling_back == {"home"}


TODAYS_TYPED = [
    (Button("Withdraw", "offer.withdraw", "PL-2027-0042:3"), "placement withdraw PL-2027-0042"),
    (
        Button("Yes, withdraw", "offer.withdraw.confirm", "PL-2027-0042:3"),
        "placement withdraw PL-2027-0042",
    ),
    (Button("Keep it", "offer.keep", "PL-2027-0042"), "placement mine"),
    (Button("Undo", "offer.undo", "PL-2027-0042"), "placement undo PL-2027-0042"),
    (
        Button("Show more", "list.more", "training PT next 12 weeks page 2"),
        "training PT next 12 weeks page 2",
    ),
    (Button("Edit", "offer.edit", "PL-2027-0042:3"), "placement edit PL-2027-0042"),
    (Button("Confirm", "offer.confirm", "PL-2027-0042"), "placement confirm PL-2027-0042"),
    (Button("Confirm", "offer.confirm", "PL-2027-0042 #7"), "placement confirm PL-2027-0042 #7"),
    (Button("Confirm", "offer.confirm", ""), "placement confirm"),
    (Button("Decline", "offer.decline", "PL-2027-0042 #7"), "placement decline PL-2027-0042 #7"),
    (Button("Decline", "offer.decline", "PL-2027-0042"), "placement decline PL-2027-0042"),
    (Button("Offer a placement", "offer.form", ""), "placement offer"),
    (Button("Post", "offer.post", "0f3c"), "placement post 0f3c"),
    (Button("Edit", "offer.reading.edit", "0f3c"), "placement offer"),
    (Button("Request places", "offer.request", "PL-2027-0042"), "placement request PL-2027-0042"),
    (
        Button("Offer places", "block.offer", "BL-2027-0001"),
        "placement offer ... block BL-2027-0001",
    ),
    (Button("Maybe", "block.maybe", "BL-2027-0001"), "placement maybe BL-2027-0001"),
    (Button("No capacity", "block.none", "BL-2027-0001"), "placement none BL-2027-0001"),
    (Button("Snooze a week", "nudges.snooze", "1w"), "nudges snooze 1w"),
    (Button("Snooze", "nudges.snooze", ""), "nudges snooze 2w"),
    (Button("Home", "home", ""), "placement mine"),
    (Button("Confirm member", "membership.confirm", "12"), "placement member confirm 12"),
    (Button("Not ours", "membership.decline", "12"), "placement member decline 12"),
    (
        Button("Yes, erase", "person.erase.confirm", "42"),
        "admin person erase EMAIL",
    ),
    (Button("Keep them", "person.erase.keep", ""), "admin people"),
    (Button("Pull the register", "link", url="https://example.org/r"), None),
    (Button("Retired", "offer.retired", "PL-2027-0042"), None),
]


@pytest.mark.parametrize(("pressed", "typed"), TODAYS_TYPED)
def test_each_button_types_as_it_did(pressed: Button, typed: str | None) -> None:
    assert typed_command(pressed) == typed


def test_the_typed_cases_cover_every_declared_button() -> None:
    assert {pressed.action for pressed, _ in TODAYS_TYPED} >= set(actions.ACTIONS)


def test_the_buttons_that_open_a_form_are_declared_so() -> None:
    assert {
        "offer.edit",
        "offer.form",
        "block.offer",
        "offer.request",
        "offer.reading.edit",
    } == actions.FORM_OPENERS
    assert PlaceBot.FORM_OPENERS == actions.FORM_OPENERS  # what the Slack adapter reads


def test_a_button_is_declared_once() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        actions.action("offer.withdraw", typed="placement withdraw {ref}")(actions.withdraw_offer)


def test_a_role_needs_words_for_its_refusal() -> None:
    with pytest.raises(ValueError, match="refusal"):
        actions.action("offer.new", typed="placement new", roles=("faculty_lead",))


# --- Pressing them, through the bot as every adapter does ---


async def test_each_button_reaches_its_handler(chat: Chat) -> None:
    pressed: set[str] = set()

    async def press(who: str, it: Button) -> Reply:
        pressed.add(it.action)
        return await chat.press(who, it)

    home = await press("stroke-physio", Button("Home", "home"))
    assert home.text.startswith("Hello Physiotherapist, Stroke Rehab")
    form = await press("stroke-physio", button(home, "Offer a placement"))
    assert form.form is not None and form.form.form_id == OFFER_CREATE

    reading = await chat.say("stroke-physio", "offer PT 1 Feb - 12 Mar 2027 2 students")
    misread = await press("stroke-physio", button(reading, "Edit"))
    assert misread.form is not None and misread.form.form_id == OFFER_CREATE
    posted = await press("stroke-physio", button(reading, "Post"))
    edit = await press("stroke-physio", button(posted, "Edit"))
    assert edit.form is not None and edit.form.form_id == OFFER_EDIT
    ref = fact(posted, "Reference")
    for label, verb in (("Confirm", "confirm"), ("Decline", "decline")):
        asked = await press("stroke-physio", Button(label, f"offer.{verb}", ref))
        assert asked.text == (
            f"No HEI has asked for {ref} yet, so there is nothing to {verb}. "
            "You will be told when one does."
        )
    asking = await press("stroke-physio", button(posted, "Withdraw"))
    assert asking.text.startswith(f"Withdraw {ref}? HEIs will see it as withdrawn.")
    kept = await press("stroke-physio", button(asking, "Keep it"))
    assert kept.text == f"Nothing changed: {ref} stays offered."
    withdrawn = await press("stroke-physio", button(asking, "Yes, withdraw"))
    assert withdrawn.text.startswith(f"{ref} is withdrawn. HEIs will see it as withdrawn.")
    undone = await press("stroke-physio", button(withdrawn, "Undo"))
    assert undone.text == f"Undone: {ref} is back, offered. HEIs see it again."
    training = await chat.say("stroke-physio", "training")
    more = await press("stroke-physio", button(training, "Show more"))
    assert more.text.startswith("Upcoming educator training, soonest first: 16–22 of 22.")

    blocks = await chat.say("stroke-physio", "placement blocks PT")
    offer_places = await press("stroke-physio", button(blocks, "Offer places", item=0))
    assert offer_places.form is not None and offer_places.text.startswith("Offer places for BL-")
    maybe = await press("stroke-physio", button(blocks, "Maybe", item=0))
    assert maybe.text.startswith("Noted: maybe for BL-2027-0001. I'll ask again on Mon 30 Nov")
    none = await press("stroke-physio", button(blocks, "No capacity", item=0))
    assert none.text.startswith("Thanks: recorded no capacity for BL-2027-0001.")
    snoozed = await press("stroke-physio", Button("Snooze a week", "nudges.snooze", "1w"))
    assert "snoozed until" in snoozed.text

    for who, team in (("visitor", "Ward 12 Orthopaedics"), ("locum", "Stroke Rehab")):
        await chat.say(who, f"offer PT 1 Mar - 19 Mar 2027 1 student at {team}", name=who)
    async with chat.bot.sessions() as session:
        first, second = (await session.execute(select(MembershipClaim.id))).scalars().all()
    confirmed = await press(
        "nuh-coordinator", Button("Confirm member", "membership.confirm", str(first))
    )
    assert confirmed.text.startswith("Confirmed: visitor (no work email known) is a member")
    declined = await press("nuh-coordinator", Button("Not ours", "membership.decline", str(second)))
    assert declined.text.startswith("Noted: locum (no work email known) is not one of Stroke")

    offered = await chat.say(
        "ward12-physio", "offer PT 1 Mar - 19 Mar 2027 2 students at Ward 12 Orthopaedics"
    )
    asking = Button("Request places", "offer.request", fact(offered, "Reference"))
    opened = await press("nottingham-lead", asking)
    assert opened.form is not None and opened.form.form_id == REQUEST_FORM

    kept_them = await press("faculty-lead", Button("Keep them", "person.erase.keep"))
    assert kept_them.text == "Nothing was erased."
    unknown = await press("faculty-lead", Button("Yes, erase", "person.erase.confirm", "999999"))
    assert unknown.text == "Nothing to erase: their data is already erased."

    assert pressed == set(actions.ACTIONS)


async def test_an_unknown_button_says_it_is_no_longer_in_use(chat: Chat) -> None:
    reply = await chat.press("stroke-physio", Button("Old", "offer.retired", "PL-2027-0042"))
    assert (reply.tone, reply.text) == (
        "error",
        "That button is no longer in use. Type `placement help` to see what I can do.",
    )


async def answers(chat: Chat) -> int:
    return await chat.count(CapacityAnswer)


@pytest.mark.parametrize("label", ["Maybe", "No capacity"])
async def test_a_lead_may_not_answer_for_a_team_and_nothing_changes(chat: Chat, label: str) -> None:
    blocks = await chat.say("stroke-physio", "placement blocks PT")
    for who in ("nottingham-lead", "faculty-lead"):
        reply = await chat.press(who, button(blocks, label, item=0))
        assert (reply.tone, reply.text) == ("error", ANSWER_REFUSAL)
    assert await answers(chat) == 0
    assert (await chat.press("nuh-coordinator", button(blocks, label, item=0))).tone == "success"
    assert await answers(chat) == 1


async def test_the_declared_roles_are_checked_before_the_handler_looks_anything_up(
    chat: Chat,
) -> None:
    # a block that does not exist: the declaration refuses before the lookup would say so
    gone = Button("No capacity", "block.none", "BL-2027-9999")
    assert (await chat.press("nottingham-lead", gone)).text == ANSWER_REFUSAL
    assert "BL-2027-9999" in (await chat.press("stroke-physio", gone)).text


@asynccontextmanager
async def acting_as(chat: Chat, who: str) -> AsyncIterator[Context]:
    bot = chat.bot
    async with bot.sessions.begin() as session:
        person = await people.find_person(session, chat.actor(who))
        yield Context(session, person, bot.clock, bot.settings, "local")


async def test_a_refused_press_never_calls_the_handler(chat: Chat) -> None:
    reached: list[str] = []

    async def handler(_ctx: Context, value: str) -> Reply:
        reached.append(value)
        return Reply(text="done")

    leads_only = actions.Action(
        "report.now", handler, "summary", roles=Roles(("faculty_lead",), "see the summary")
    )
    table = {"report.now": leads_only}
    async with acting_as(chat, "stroke-physio") as ctx:
        with pytest.raises(NotAllowed) as refused:
            await actions.press(ctx, "report.now", "x", table)
    assert refused.value.message == (
        "Only faculty leads can see the summary. Ask your AHP faculty lead for the role."
    )
    assert reached == []
    async with acting_as(chat, "faculty-lead") as ctx:
        assert (await actions.press(ctx, "report.now", "y", table)).text == "done"
    assert reached == ["y"]
    async with acting_as(chat, "faculty-lead") as ctx:
        with pytest.raises(UserError, match="no longer in use"):
            await actions.press(ctx, "offer.withdraw", "PL-2027-0042", table)


# --- The same declaration on a typed command ---


async def test_a_typed_command_declares_its_roles_too(chat: Chat) -> None:
    @requires_any_role("coordinator", "faculty_lead", doing="tidy places")
    async def tidy(_ctx: Context, rest: str) -> Reply:
        return Reply(text=f"tidied {rest}")

    async with acting_as(chat, "stroke-physio") as ctx:
        with pytest.raises(NotAllowed) as refused:
            await tidy(ctx, "all")
    assert refused.value.message == (
        "Only coordinators or faculty leads can tidy places. Ask your AHP faculty lead for the role."
    )
    async with acting_as(chat, "nuh-coordinator") as ctx:
        assert (await tidy(ctx, "all")).text == "tidied all"
    assert tidy.__name__ == "tidy"


async def digest_settings(chat: Chat, who: str) -> tuple[str, str | None]:
    async with chat.bot.sessions() as session:
        person = await people.find_person(session, chat.actor(who))
        assert person is not None
        return person.digest_frequency, person.preferred_channel


async def test_the_digest_refusal_is_word_for_word_and_changes_nothing(chat: Chat) -> None:
    before = await digest_settings(chat, "stroke-physio")
    for verb in ("daily", "off", "email", "chat", "hourly"):
        reply = await chat.say("stroke-physio", f"digest {verb}")
        assert (reply.tone, reply.text) == (
            "error",
            "Digests go to HEI placement leads. Ask your faculty lead to add you as one.\n"
            "For example: placement help",
        )
    assert "weekly" in (await chat.say("stroke-physio", "digest status")).text
    assert await digest_settings(chat, "stroke-physio") == before
    assert "daily" in (await chat.say("faculty-lead", "digest daily")).text


async def test_a_withdraw_press_by_someone_else_is_refused_by_the_service(chat: Chat) -> None:
    posted = await chat.say(
        "stroke-physio", "offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab"
    )
    withdraw = button(posted, "Withdraw")
    for pressed in (withdraw, Button("Yes, withdraw", "offer.withdraw.confirm", withdraw.value)):
        reply = await chat.press("community-ot", pressed)
        assert reply.tone == "error" and reply.text.startswith(
            f"Only the team that offered {fact(posted, 'Reference')}"
        )
    async with chat.bot.sessions() as session:
        [offer] = (await session.execute(select(PlacementOffer))).scalars().all()
    assert (offer.status, offer.version) == ("offered", 1)
