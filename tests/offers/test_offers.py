"""A clinician offers a placement, finds it, edits it and withdraws it: on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storage.tables import AuditEvent, PlacementOffer
from tests.support.chat import Chat, button, fact

REF = re.compile(r"PL-\d{4}-\d{4}")


async def offers(chat: Chat) -> list[PlacementOffer]:
    async with chat.bot.sessions() as session:
        rows = await session.execute(select(PlacementOffer).order_by(PlacementOffer.id))
        return list(rows.unique().scalars())


async def audit_actions(chat: Chat) -> list[str]:
    async with chat.bot.sessions() as session:
        rows = await session.execute(
            select(AuditEvent.action)
            .where(AuditEvent.entity == "placement_offer")
            .order_by(AuditEvent.id)
        )
        return list(rows.scalars())


async def test_a_clinician_offers_a_placement_in_one_line_and_finds_it_in_mine(chat: Chat) -> None:
    reply = await chat.say(
        "stroke-physio",
        "placement offer physio 1 Feb - 12 Mar 2027 2 students at Ward 12, City Hospital",
    )
    assert reply.tone == "success"
    ref = fact(reply, "Reference")
    assert REF.fullmatch(ref)
    assert fact(reply, "Dates") == "Mon 1 Feb 2027 – Fri 12 Mar 2027 (6 weeks)"
    assert fact(reply, "Students") == "2"
    assert [b.label for b in reply.buttons] == ["Edit", "Withdraw"]

    mine = await chat.say("stroke-physio", "placement mine")
    assert [item.title.split(" · ")[0] for item in mine.items] == [ref]

    [stored] = await offers(chat)
    assert (stored.profession, stored.capacity, stored.status, stored.version) == (
        "PT",
        2,
        "offered",
        1,
    )
    assert stored.place_text == "Ward 12, City Hospital"
    assert stored.site is not None and stored.site.name == "City Hospital"
    assert await audit_actions(chat) == ["offer.create"]


@pytest.mark.parametrize(
    ("line", "profession", "start", "end", "capacity", "place", "model"),
    [
        (
            "offer PT 2027-02-01 to 2027-03-12 2 students at Ward 12 QMC model 2:1",
            "PT",
            "2027-02-01",
            "2027-03-12",
            2,
            "Ward 12 QMC",
            "2:1",
        ),
        (
            "offer physio 1 Feb - 12 Mar 2027, 2 students, Stroke Rehab, City Hospital",
            "PT",
            "2027-02-01",
            "2027-03-12",
            2,
            "Stroke Rehab, City Hospital",
            None,
        ),
        (
            "placement offer OT 1st February 2027 to 12th March 2027 3 students at Highbury Hospital",
            "OT",
            "2027-02-01",
            "2027-03-12",
            3,
            "Highbury Hospital",
            None,
        ),
        (
            "placement offer speech and language therapy 01/02/2027 - 12/03/2027 1 student "
            "at Children's Centre peer",
            "SLT",
            "2027-02-01",
            "2027-03-12",
            1,
            "Children's Centre",
            "peer",
        ),
        (
            "placement offer SALT from 3 March for 6 weeks 2 places at Stroke Rehab long-arm",
            "SLT",
            "2027-03-03",
            "2027-04-13",
            2,
            "Stroke Rehab",
            "long-arm",
        ),
        (
            "placement offer chiropody 13 Jan - 21 Feb 1 student at Foot Clinic, Mansfield",
            "POD",
            "2027-01-13",
            "2027-02-21",
            1,
            "Foot Clinic, Mansfield",
            None,
        ),
    ],
)
async def test_offers_are_read_in_the_forms_people_type(
    chat: Chat,
    line: str,
    profession: str,
    start: str,
    end: str,
    capacity: int,
    place: str,
    model: str | None,
) -> None:
    reply = await chat.say("stroke-physio", line)
    year_typed = re.search(r"\d{4}", line) is not None
    # A year assumed is said, and nothing is stored until Post is pressed.
    assert ("No year was given" in reply.text) is not year_typed, reply.text
    if not year_typed:
        assert await offers(chat) == []
        reply = await chat.press("stroke-physio", button(reply, "Post"))
    assert reply.tone == "success", reply.text
    [stored] = await offers(chat)
    assert stored.profession == profession
    assert (stored.start_date.isoformat(), stored.end_date.isoformat()) == (start, end)
    assert (stored.capacity, stored.place_text, stored.supervision_model) == (
        capacity,
        place,
        model,
    )


async def test_a_known_team_is_matched_from_the_free_text_place(chat: Chat) -> None:
    await chat.say(
        "ward12-physio", "offer PT 1 Feb - 12 Mar 2027, 1 student, Stroke Rehab, City Hospital"
    )
    [stored] = await offers(chat)
    assert stored.team is not None and stored.team.name == "Stroke Rehab"
    assert stored.provider is not None and stored.provider.ods_code == "RX1"


async def test_someone_new_can_offer_with_no_set_up_and_a_non_latin_name(chat: Chat) -> None:
    reply = await chat.say(
        "newcomer-1",
        "placement offer OT 1 Feb - 12 Mar 2027 1 student at Zoë's Ward 🏥, Bassetlaw",
        name="Zoë Ångström 王芳 🌿",
    )
    assert reply.tone == "success", reply.text
    [stored] = await offers(chat)
    assert stored.place_text == "Zoë's Ward 🏥, Bassetlaw"
    assert (stored.team_id, stored.site_id) == (None, None)  # kept as typed for the coordinator
    from storage.tables import Person

    async with chat.bot.sessions() as session:
        person = await session.get(Person, stored.created_by_id)
        assert person is not None and person.display_name == "Zoë Ångström 王芳 🌿"


async def test_the_withdraw_button_withdraws_once(chat: Chat) -> None:
    posted = await chat.say(
        "stroke-physio", "offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab"
    )
    asking = await chat.press("stroke-physio", button(posted, "Withdraw"))
    [stored] = await offers(chat)
    assert (stored.status, stored.version) == ("offered", 1)  # the button asks first
    yes = button(asking, "Yes, withdraw")
    first = await chat.press("stroke-physio", yes)
    assert first.tone == "success" and "withdrawn" in first.text
    again = await chat.press("stroke-physio", yes)
    assert again.tone == "success" and "withdrawn" in again.text
    [stored] = await offers(chat)
    assert (stored.status, stored.version) == ("withdrawn", 2)
    assert (await chat.say("stroke-physio", "placement mine")).items == ()


async def test_withdraw_by_text_keeps_the_reason_and_audits_before_and_after(chat: Chat) -> None:
    posted = await chat.say(
        "stroke-physio", "offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab"
    )
    ref = fact(posted, "Reference")
    await chat.say("stroke-physio", f"placement withdraw {ref} staff sickness")
    [stored] = await offers(chat)
    assert (stored.status, stored.status_reason) == ("withdrawn", "staff sickness")
    async with chat.bot.sessions() as session:
        event = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "offer.withdraw"))
        ).scalar_one()
    assert event.before is not None and event.after is not None
    assert (event.before["status"], event.after["status"]) == ("offered", "withdrawn")
    assert event.edge == "local" and event.entity_ref == ref


async def test_an_edit_changes_one_field_and_bumps_the_version(chat: Chat) -> None:
    posted = await chat.say(
        "stroke-physio", "offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab"
    )
    ref = fact(posted, "Reference")
    edited = await chat.say("stroke-physio", f"placement edit {ref} capacity 3")
    assert edited.tone == "success" and fact(edited, "Students") == "3"
    edited = await chat.say("stroke-physio", f"placement edit {ref} dates 8 Feb - 19 Mar 2027")
    [stored] = await offers(chat)
    assert (stored.capacity, stored.start_date.isoformat(), stored.version) == (3, "2027-02-08", 3)
    assert await audit_actions(chat) == ["offer.create", "offer.edit", "offer.edit"]


async def test_the_edit_form_saves_changes(chat: Chat) -> None:
    posted = await chat.say(
        "stroke-physio", "offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab"
    )
    opened = await chat.press("stroke-physio", button(posted, "Edit"))
    assert opened.form is not None and dict(opened.form.hidden)["version"] == "1"
    saved = await chat.submit("stroke-physio", opened.form, educator="Band 6 physiotherapist")
    assert saved.tone == "success", saved.text
    [stored] = await offers(chat)
    assert (stored.educator, stored.version) == ("Band 6 physiotherapist", 2)


async def test_a_coordinator_may_edit_any_offer_of_their_trust(chat: Chat) -> None:
    posted = await chat.say(
        "stroke-physio", "offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab"
    )
    reply = await chat.say(
        "nuh-coordinator", f"placement edit {fact(posted, 'Reference')} capacity 1"
    )
    assert reply.tone == "success", reply.text


async def test_the_offer_form_creates_an_offer(chat: Chat) -> None:
    opened = await chat.say("community-ot", "placement offer")
    assert opened.form is not None and opened.form.form_id == "offer.create"
    reply = await chat.submit(
        "community-ot",
        opened.form,
        profession="OT",
        start="1 Feb 2027",
        end="12/03/2027",
        capacity="2",
        place="Community Mental Health OT",
        supervision_model="2:1",
        setting="mental_health",
    )
    assert reply.tone == "success", reply.text
    [stored] = await offers(chat)
    assert (stored.setting, stored.supervision_model, stored.team_id is not None) == (
        "mental_health",
        "2:1",
        True,
    )


async def test_list_filters_by_profession_dates_and_place(chat: Chat) -> None:
    await chat.say(
        "stroke-physio", "offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab, City Hospital"
    )
    await chat.say(
        "stroke-physio", "offer PT 3 May - 11 Jun 2027 1 student at Stroke Rehab, City Hospital"
    )
    await chat.say("community-ot", "offer OT 1 Feb - 12 Mar 2027 1 student at Highbury Hospital")

    def refs(reply) -> list[str]:
        return [item.title.split(" · ")[1] for item in reply.items]

    assert refs(await chat.say("faculty-lead", "placement list")) == ["PT", "OT", "PT"]
    assert refs(await chat.say("faculty-lead", "placement list physio")) == ["PT", "PT"]
    assert refs(await chat.say("faculty-lead", "placement list PT from 1 Apr 2027")) == ["PT"]
    assert refs(await chat.say("faculty-lead", "placement list to 1 Mar 2027")) == ["PT", "OT"]
    assert refs(await chat.say("faculty-lead", "placement list highbury")) == ["OT"]


async def test_confirm_needs_an_hei_request_first(chat: Chat) -> None:
    posted = await chat.say(
        "stroke-physio", "offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab"
    )
    reply = await chat.say("stroke-physio", f"placement confirm {fact(posted, 'Reference')}")
    assert reply.tone == "error" and "No HEI has asked" in reply.text
