"""People are kept in memory for a few seconds; a change to their roles still counts at once."""

from __future__ import annotations

from sqlalchemy import select, text, update

from storage.tables import Identity, Organisation, RoleGrant
from tests.support.chat import Chat

LINE = (
    'training add "Educator update" 10 Feb 2027 10:00-11:00 PT online https://events.example.org/a'
)


async def _grants(chat: Chat, who: str) -> list[RoleGrant]:
    async with chat.bot.sessions() as session:
        person_id = (
            await session.execute(select(Identity.person_id).where(Identity.external_id == who))
        ).scalar_one()
        return list(
            (await session.execute(select(RoleGrant).where(RoleGrant.person_id == person_id)))
            .scalars()
            .all()
        )


async def test_a_role_granted_in_this_process_counts_on_the_next_turn(chat: Chat) -> None:
    assert (await chat.say("stroke-physio", LINE)).tone == "error"  # remembered as a clinician
    [grant] = await _grants(chat, "stroke-physio")
    async with chat.bot.sessions.begin() as session:
        hei = (
            await session.execute(select(Organisation).where(Organisation.kind == "hei").limit(1))
        ).scalar_one()
        session.add(RoleGrant(person_id=grant.person_id, role="hei_lead", organisation_id=hei.id))
    assert (await chat.say("stroke-physio", LINE)).tone == "success"


async def test_a_role_taken_away_counts_on_the_next_turn(chat: Chat) -> None:
    assert (await chat.say("nottingham-lead", LINE)).tone == "success"
    async with chat.bot.sessions.begin() as session:
        for grant in await _grants(chat, "nottingham-lead"):
            await session.delete(await session.get(RoleGrant, grant.id))
    assert (await chat.say("nottingham-lead", LINE)).tone == "error"


async def test_a_bulk_update_of_roles_counts_on_the_next_turn(chat: Chat) -> None:
    assert (await chat.say("nottingham-lead", LINE)).tone == "success"
    ids = [grant.id for grant in await _grants(chat, "nottingham-lead")]
    async with chat.bot.sessions.begin() as session:
        await session.execute(
            update(RoleGrant).where(RoleGrant.id.in_(ids)).values(role="clinician")
        )
    assert (await chat.say("nottingham-lead", LINE)).tone == "error"


async def test_a_change_made_elsewhere_counts_once_the_memory_expires(chat: Chat) -> None:
    """Another process's writes raise no event here: the copy is trusted only for a while."""
    chat.bot.known.ttl = 0.0  # the copy kept by the next turn expires at once
    assert (await chat.say("nottingham-lead", LINE)).tone == "success"
    ids = [grant.id for grant in await _grants(chat, "nottingham-lead")]
    async with chat.bot.sessions.begin() as session:  # plain SQL, as another process would
        connection = await session.connection()
        for grant_id in ids:
            await connection.execute(
                text("DELETE FROM role_grants WHERE id = :id"), {"id": grant_id}
            )
    assert (await chat.say("nottingham-lead", LINE)).tone == "error"


async def test_a_remembered_person_is_not_duplicated_or_changed_by_turns(chat: Chat) -> None:
    for _ in range(3):
        assert "on:" in (await chat.say("stroke-physio", "nudges status")).text
    assert "off" in (await chat.say("stroke-physio", "nudges off")).text
    assert "off" in (await chat.say("stroke-physio", "nudges status")).text
    async with chat.bot.sessions() as session:
        count = len(
            (await session.execute(select(Identity).where(Identity.external_id == "stroke-physio")))
            .scalars()
            .all()
        )
    assert count == 1


async def test_nudges_on_undoes_a_pause_another_process_made_a_moment_ago(chat: Chat) -> None:
    """The worker pauses people with plain SQL; the copy in memory here still says not paused."""
    assert "on:" in (await chat.say("stroke-physio", "nudges status")).text  # now remembered
    async with chat.bot.sessions.begin() as session:
        person_id = (
            await session.execute(
                select(Identity.person_id).where(Identity.external_id == "stroke-physio")
            )
        ).scalar_one()
        await (await session.connection()).execute(
            text("UPDATE people SET paused = :yes, ignored_nudges = 3 WHERE id = :id"),
            {"yes": True, "id": person_id},
        )
    assert "paused" in (await chat.say("stroke-physio", "nudges status")).text
    assert "on:" in (await chat.say("stroke-physio", "nudges on")).text
    async with chat.bot.sessions() as session:
        stored = (
            await session.execute(
                text("SELECT paused, ignored_nudges FROM people WHERE id = :id"),
                {"id": person_id},
            )
        ).one()
    assert (bool(stored[0]), stored[1]) == (False, 0)
