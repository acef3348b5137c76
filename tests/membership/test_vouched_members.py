"""Who joins a team without anyone being asked: staff whose work email (as their platform reports
it) is at the provider's own domain, never a shared one; and whom the faculty makes a member from
the CLI, which releases what they had posted meanwhile. Edits cannot move an offer to a team its
editor does not speak for."""

from __future__ import annotations

import shlex

import pytest
from sqlalchemy import select

from adapters import cli
from bot.chat.placebot import PlaceBot
from bot.kernel.messages import Actor, Command, Reply
from storage.tables import MembershipClaim, Person, PlacementOffer, Team
from tests.support.chat import Chat, fact

OFFER = "offer PT 1 Mar - 19 Mar 2027 2 students at Ward 12 Orthopaedics"


async def say_on_slack(bot: PlaceBot, user: str, email: str | None, words: str) -> Reply:
    actor = Actor("slack", user, tenant="T0001", display_name="Agency physiotherapist", email=email)
    return await bot.handle(Command(actor, text=words))


async def offer_status(bot: PlaceBot, ref: str) -> str:
    async with bot.sessions() as session:
        return (
            await session.execute(select(PlacementOffer.status).where(PlacementOffer.ref == ref))
        ).scalar_one()


async def team_of(bot: PlaceBot, email: str) -> str | None:
    async with bot.sessions() as session:
        person = (
            (await session.execute(select(Person).where(Person.email == email)))
            .unique()
            .scalar_one()
        )
        if person.team_id is None:
            return None
        return (await session.get(Team, person.team_id)).name  # type: ignore[union-attr]


async def test_staff_at_the_providers_email_domain_are_members_at_once(bot: PlaceBot) -> None:
    reply = await say_on_slack(bot, "U0NUH", "Bank.Physio@NUH.nhs.uk", OFFER)
    assert reply.text == f"Thank you: offer {fact(reply, 'Reference')} is in the register."
    assert await offer_status(bot, fact(reply, "Reference")) == "offered"
    assert await team_of(bot, "bank.physio@nuh.nhs.uk") == "Ward 12 Orthopaedics"
    assert await Chat(bot).count(MembershipClaim) == 0


@pytest.mark.parametrize("email", ["physio@nhs.net", "physio@nuh.nhs.uk.evil.example", None])
async def test_a_shared_or_lookalike_domain_vouches_for_nobody(
    bot: PlaceBot, email: str | None
) -> None:
    reply = await say_on_slack(bot, "U0ANY", email, OFFER)
    assert await offer_status(bot, fact(reply, "Reference")) == "awaiting"
    assert await Chat(bot).count(MembershipClaim) == 1


async def test_placebot_team_join_makes_a_member_and_releases_their_held_offers(
    bot: PlaceBot, database_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    reply = await say_on_slack(bot, "U0AGENCY", "locum@agency.example", OFFER)
    ref = fact(reply, "Reference")
    assert await offer_status(bot, ref) == "awaiting"
    monkeypatch.setenv("DATABASE_URL", database_url)
    command = "team join 'Ward 12 Orthopaedics' Locum@Agency.example"
    assert await _cli(command) == 0, capsys.readouterr().err
    assert capsys.readouterr().out == (
        f"Added member locum@agency.example in Ward 12 Orthopaedics: released {ref}.\n"
    )
    assert await offer_status(bot, ref) == "offered"
    assert await team_of(bot, "locum@agency.example") == "Ward 12 Orthopaedics"
    async with bot.sessions() as session:
        [claim] = (await session.execute(select(MembershipClaim))).unique().scalars().all()
    assert claim.status == "confirmed"

    assert await _cli(command) == 0
    assert capsys.readouterr().out == (
        "Unchanged member locum@agency.example in Ward 12 Orthopaedics.\n"
    )
    assert await _cli("team join 'Ward 99' locum@agency.example") == 2
    assert "no team “Ward 99”" in capsys.readouterr().err


async def _cli(command: str) -> int:
    """`placebot ...` in process; the CLI runs its own event loop, so off this one."""
    import asyncio

    return await asyncio.to_thread(cli.main, shlex.split(command))


async def test_an_edit_cannot_move_an_offer_to_a_team_its_editor_does_not_speak_for(
    chat: Chat, bot: PlaceBot
) -> None:
    free_text = "offer PT 1 Mar - 19 Mar 2027 2 students at Ward 3, Kings Mill Hospital"
    ref = fact(await chat.say("visitor", free_text), "Reference")
    assert await offer_status(bot, ref) == "offered"  # it names nobody, so nobody is credited
    moved = await chat.say("visitor", f"placement edit {ref} place Ward 12 Orthopaedics")
    assert "only to a team you work in" in moved.text
    async with bot.sessions() as session:
        offer = (
            (await session.execute(select(PlacementOffer).where(PlacementOffer.ref == ref)))
            .unique()
            .scalar_one()
        )
    assert (offer.place_text, offer.team_id, offer.version) == (
        "Ward 3, Kings Mill Hospital",
        None,
        1,
    )
