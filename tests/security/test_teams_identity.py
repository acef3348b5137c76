"""Hostile Teams requests, replayed through botbuilder's token checks and the fake Bot Connector:
each is refused (or answered harmlessly) and changes nothing in the database.

- A Web Chat activity (a channel's genuine token, but a client that names its own `from.id`)
  naming a faculty lead is not served as the lead: no training event, the lead's conversation
  reference untouched. Nor is any activity whose token does not fit it.
- Private answers and proactive messages never go to a team channel, however the person last
  spoke to the bot.
- Unauthenticated mode needs `1` and no app id, and answers only on this machine.
SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import ClientResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.server import ConfigurationError, build_app
from adapters.teams import answers
from adapters.teams.app import TEAMS_EDGE, TeamsEdge
from adapters.teams.connector import Connector, ConnectorError
from adapters.teams.identity import is_loopback
from adapters.teams.personal import ANSWERED_PRIVATELY
from bot.delivery.channels import Unreachable
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Actor, Reply
from config.settings import Settings
from storage.engine import make_engine
from storage.tables import Base, ConversationReference, Person, TrainingEvent
from tests.support import teams_wire as wire
from tests.support.builder import Builder
from tests.support.chat import Chat
from tests.support.fakes.bot_connector import personal_conversation
from tests.support.fakes.bot_framework_keys import BotFrameworkKeys
from tests.support.teams_rig import TeamsRig, signed_teams_server, teams_server

LEAD = 4  # the wire's user who is the faculty lead
LEAD_CHAT = "a:1lead-personal"
WEBCHAT = "https://webchat.botframework.com/"
OTHER_TENANT = "0b5e2f43-5d6c-4b5e-9f1a-2c3d4e5f6a7b"
EMULATOR_ISSUER = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"
PHISHING = (
    'training add "Practice educator refresher" 10 Feb 2027 10:00-11:30 PT online '
    "https://placement-booking.example.net/login"
)


async def snapshot(chat: Chat) -> dict[str, list[str]]:
    """Every row of every table."""
    async with chat.bot.sessions() as session:
        return {
            table.name: sorted(repr(tuple(row)) for row in (await session.execute(select(table))))
            for table in Base.metadata.sorted_tables
        }


async def refused(rig: TeamsRig, response: ClientResponse, status: int) -> None:
    """`status`, a short JSON error and no traceback; nothing left running that might store."""
    text = await response.text()
    assert response.status == status, text
    assert "Traceback" not in text and 'File "' not in text
    assert set(await response.json()) == {"error"}
    await rig.client.app[TEAMS_EDGE].work.drain()


def edge(rig: TeamsRig) -> TeamsEdge:
    return rig.client.app[TEAMS_EDGE]


async def faculty_lead(build: Builder) -> Person:
    """A faculty lead set up for Teams, by tenant and Entra object id, as Teams names them."""
    lead = await build.person("Faculty Lead", "faculty_lead", reachable=False)
    await build.identity(lead, "teams", wire.user(LEAD)["aadObjectId"], tenant=wire.TENANT)
    return lead


async def booked_at(chat: Chat, host: str) -> int:
    """How many training events have their booking at `host`."""
    async with chat.bot.sessions() as session:
        bookings = (await session.execute(select(TrainingEvent.booking))).scalars()
        return sum(1 for booking in bookings if booking and host in booking)


async def references(chat: Chat, person: Person) -> list[dict[str, Any]]:
    async with chat.bot.sessions() as session:
        found = await session.execute(
            select(ConversationReference.reference).where(
                ConversationReference.person_id == person.id
            )
        )
        return [dict(reference) for reference in found.scalars()]


@pytest.fixture
async def signed(
    engine: AsyncEngine, settings: Settings, clock: FixedClock, chat: Chat
) -> AsyncIterator[TeamsRig]:
    """The bot with an app id, and signing keys endorsed (as Microsoft's are) for many
    channels, Web Chat among them."""
    with BotFrameworkKeys() as keys:
        keys.endorsements = ["msteams", "webchat", "directline", "emulator"]
        async with signed_teams_server(settings, clock, chat, keys) as rig:
            yield rig


# Finding: a Web Chat activity naming a faculty lead was served as the lead.


async def test_a_webchat_activity_naming_a_faculty_lead_is_refused_and_changes_nothing(
    signed: TeamsRig, chat: Chat, build: Builder
) -> None:
    lead = await faculty_lead(build)
    answer = await signed.say("nudges status", n=LEAD, conversation=LEAD_CHAT)
    assert "Your nudges are" in answer["text"]  # the lead, in their own 1:1 in Teams
    await edge(signed).work.drain()
    before = await snapshot(chat)
    [reference] = await references(chat, lead)
    assert reference["conversation"]["id"] == LEAD_CHAT

    forged = wire.message(WEBCHAT, PHISHING, n=LEAD, conversation="webchat-attacker-1")
    forged["channelId"] = "webchat"  # as Direct Line delivers it: the client chose `from`
    response = await signed.post(forged, signed.token(WEBCHAT))

    await refused(signed, response, 401)
    assert await snapshot(chat) == before  # no event, no receipt, the reference as it was
    assert await booked_at(chat, "placement-booking.example.net") == 0
    assert len(signed.connector.sent) == 1 and signed.connector.opened == []
    await edge(signed).send(lead.id, Reply(text="Reminder: your training is tomorrow."))
    reminder = signed.connector.sent[-1]
    assert reminder.path == f"/v3/conversations/{LEAD_CHAT}/activities"


async def test_the_same_command_in_the_leads_own_teams_chat_adds_the_event(
    signed: TeamsRig, chat: Chat, build: Builder
) -> None:
    """The refusal above is the channel's doing: from Teams, the lead's command works."""
    await faculty_lead(build)
    await signed.say(PHISHING, n=LEAD, conversation=LEAD_CHAT)
    assert await booked_at(chat, "placement-booking.example.net") == 1


def webchat_channel(activity: dict[str, Any]) -> str | None:
    activity["channelId"] = "webchat"
    return None


def no_channel(activity: dict[str, Any]) -> str | None:
    activity.pop("channelId")
    return None


def emulator_channel(activity: dict[str, Any]) -> str | None:
    activity["channelId"] = "emulator"
    return None


def other_service_url(activity: dict[str, Any]) -> str | None:
    return "https://smba.trafficmanager.net/emea/"  # the token's; the activity names another


def tenants_disagree(activity: dict[str, Any]) -> str | None:
    activity["channelData"]["tenant"]["id"] = OTHER_TENANT
    return None


MISMATCHES: dict[str, tuple[Callable[[dict[str, Any]], str | None], dict[str, Any]]] = {
    "Web Chat": (webchat_channel, {}),
    "no channel": (no_channel, {}),
    "Emulator channel with an app id": (emulator_channel, {}),
    "serviceurl claim for another URL": (other_service_url, {}),
    "token for another tenant": (lambda _activity: None, {"tid": OTHER_TENANT}),
    "conversation and channelData tenants differ": (tenants_disagree, {}),
    "an Emulator's token": (lambda _activity: None, {"iss": EMULATOR_ISSUER, "ver": "1.0"}),
    "token for another bot": (lambda _activity: None, {"aud": "another-bots-app-id"}),
}


LEADS_ACTIVITIES: list[Callable[[str], dict[str, Any]]] = [
    lambda url: wire.message(url, PHISHING, n=LEAD, conversation="a:1other"),
    lambda url: wire.execute(url, {"action": "home", "value": ""}, n=LEAD),
    lambda url: wire.installed(url, n=LEAD),
]


@pytest.mark.parametrize("case", MISMATCHES)
async def test_an_activity_its_token_does_not_vouch_for_gets_401_and_changes_nothing(
    signed: TeamsRig, chat: Chat, build: Builder, case: str
) -> None:
    lead = await faculty_lead(build)
    await signed.say("nudges status", n=LEAD, conversation=LEAD_CHAT)
    await edge(signed).work.drain()
    before = await snapshot(chat)
    change, claims = MISMATCHES[case]
    for kind in LEADS_ACTIVITIES:
        activity = kind(signed.connector.service_url)
        token_url = change(activity) or activity.get("serviceUrl")
        response = await signed.post(activity, signed.token(token_url, **claims))
        await refused(signed, response, 401)
    assert await snapshot(chat) == before
    assert len(signed.connector.sent) == 1
    assert signed.connector.opened == [] and signed.connector.member_requests == []
    assert [r["conversation"]["id"] for r in await references(chat, lead)] == [LEAD_CHAT]


async def test_a_key_that_endorses_no_channel_vouches_for_none(
    settings: Settings, clock: FixedClock, chat: Chat, build: Builder
) -> None:
    """botbuilder lets a key with no endorsements through; here it must endorse the channel."""
    await faculty_lead(build)
    with BotFrameworkKeys() as keys:
        keys.endorsements = []
        async with signed_teams_server(settings, clock, chat, keys) as rig:
            before = await snapshot(chat)
            activity = wire.message(rig.connector.service_url, PHISHING, n=LEAD)
            await refused(rig, await rig.post(activity, rig.token()), 401)
            assert await snapshot(chat) == before
            assert rig.connector.sent == []


# Finding: private replies and proactive messages went into a team channel.


async def test_a_private_answer_to_a_channel_mention_goes_by_1to1_and_the_channel_is_told(
    signed: TeamsRig, chat: Chat
) -> None:
    mention = wire.message(
        signed.connector.service_url,
        "<at>PlaceBot</at> nudges status",
        channel=True,
        conversation=wire.CHANNEL,
    )
    assert (await signed.post(mention, signed.token())).status == 200
    private, note = await signed.connector.wait_for(2)
    await edge(signed).work.drain()

    user = wire.user()
    one_to_one = personal_conversation(user["id"])
    assert private.path == f"/v3/conversations/{one_to_one}/activities"
    assert "Your nudges are" in private.body["text"]
    assert private.body["recipient"]["id"] == user["id"]
    assert note.path == f"/v3/conversations/{wire.CHANNEL}/activities/{mention['id']}"
    assert note.body["text"] == ANSWERED_PRIVATELY
    assert "nudges" not in str(note.body).lower()
    [opened] = signed.connector.opened
    assert opened.body["members"] == [{"id": user["id"]}]
    assert opened.body["channelData"] == {"tenant": {"id": wire.TENANT}}

    async with chat.bot.sessions() as session:
        [row] = (await session.execute(select(ConversationReference))).scalars()
    assert row.reference["conversation"]["id"] == one_to_one  # never the channel's
    assert row.reference["conversation"]["conversationType"] == "personal"
    await edge(signed).send(row.person_id, Reply(text="PL-2027-0001 starts in 14 days."))
    proactive = signed.connector.sent[-1]
    assert proactive.path == f"/v3/conversations/{one_to_one}/activities"


async def test_a_private_answer_kept_for_sending_again_goes_by_1to1_too(
    signed: TeamsRig, clock: FixedClock
) -> None:
    signed.connector.failures = 1  # the first try, to the 1:1, is refused
    mention = wire.message(
        signed.connector.service_url,
        "<at>PlaceBot</at> nudges status",
        channel=True,
        conversation=wire.CHANNEL,
    )
    assert (await signed.post(mention, signed.token())).status == 200
    await edge(signed).work.drain()
    assert signed.connector.sent == []
    clock.at += timedelta(seconds=11)
    assert await answers.resend_due(edge(signed).bot, edge(signed).connector) == 1
    private, note = signed.connector.sent
    assert (
        private.path == f"/v3/conversations/{personal_conversation(wire.user()['id'])}/activities"
    )
    assert "Your nudges are" in private.body["text"]
    assert note.body["text"] == ANSWERED_PRIVATELY


async def test_a_public_answer_to_a_channel_mention_stays_in_the_channel(
    signed: TeamsRig,
) -> None:
    offer = "<at>PlaceBot</at> placement offer OT 1 Feb - 12 Mar 2027 2 students at Bassetlaw"
    body = await signed.say(offer, channel=True, conversation=wire.CHANNEL)
    assert "in the register" in body["text"]
    [answer] = signed.connector.sent
    assert answer.path.startswith(f"/v3/conversations/{wire.CHANNEL}/activities/")


async def test_a_channel_mention_does_not_repoint_a_persons_1to1(
    signed: TeamsRig, chat: Chat, build: Builder
) -> None:
    lead = await faculty_lead(build)
    await signed.say("nudges status", n=LEAD, conversation=LEAD_CHAT)
    mention = wire.message(
        signed.connector.service_url,
        "<at>PlaceBot</at> placement help",
        n=LEAD,
        channel=True,
        conversation=wire.CHANNEL,
    )
    assert (await signed.post(mention, signed.token())).status == 200
    await signed.connector.wait_for(3)
    await edge(signed).work.drain()
    for reference in await references(chat, lead):
        assert reference["conversation"]["conversationType"] == "personal"
        assert "@thread" not in reference["conversation"]["id"]
    await edge(signed).send(lead.id, Reply(text="Your weekly summary."))
    assert "@thread" not in signed.connector.sent[-1].path


async def test_a_private_answer_to_a_card_in_a_channel_is_shown_to_the_presser_only(
    signed: TeamsRig,
) -> None:
    press = wire.execute(
        signed.connector.service_url,
        {"action": "home", "value": ""},
        channel=True,
        conversation=wire.CHANNEL,
    )
    response = await signed.post(press, signed.token())
    assert response.status == 200
    assert await response.json() == {
        "statusCode": 200,
        "type": "application/vnd.microsoft.activity.message",
        "value": ANSWERED_PRIVATELY,
    }
    [private] = await signed.connector.wait_for(1)
    await edge(signed).work.drain()
    assert (
        private.path == f"/v3/conversations/{personal_conversation(wire.user()['id'])}/activities"
    )
    assert len(signed.connector.sent) == 1  # nothing said in the channel


async def test_a_channel_reference_kept_from_before_is_not_sent_to(
    signed: TeamsRig, chat: Chat, build: Builder
) -> None:
    """A reference stored when channels were kept: the message goes by 1:1 all the same."""
    lead = await faculty_lead(build)
    channel_post = wire.message(signed.connector.service_url, n=LEAD, channel=True)
    channel_post["conversation"]["id"] = wire.CHANNEL
    kept = {
        "serviceUrl": channel_post["serviceUrl"],
        "channelId": "msteams",
        "conversation": channel_post["conversation"],
        "bot": channel_post["recipient"],
        "user": channel_post["from"],
    }
    actor = Actor("teams", wire.user(LEAD)["aadObjectId"], tenant=wire.TENANT)
    await chat.bot.remember_conversation(actor, kept)
    await edge(signed).send(lead.id, Reply(text="Reminder: PL-2027-0001 starts in 14 days."))
    [sent] = signed.connector.sent
    assert (
        sent.path == f"/v3/conversations/{personal_conversation(wire.user(LEAD)['id'])}/activities"
    )


async def test_a_reference_kept_from_web_chat_is_never_sent_to(
    signed: TeamsRig, chat: Chat, build: Builder
) -> None:
    lead = await faculty_lead(build)
    forged = wire.message(WEBCHAT, n=LEAD)
    kept = {
        "serviceUrl": WEBCHAT,
        "channelId": "webchat",
        "conversation": forged["conversation"],
        "bot": forged["recipient"],
        "user": forged["from"],
    }
    actor = Actor("teams", wire.user(LEAD)["aadObjectId"], tenant=wire.TENANT)
    await chat.bot.remember_conversation(actor, kept)
    with pytest.raises(Unreachable):
        await edge(signed).send(lead.id, Reply(text="Reminder."))
    assert signed.connector.sent == [] and signed.connector.opened == []


# Finding: unauthenticated mode, left on in a `.env`, posted replies to any serviceUrl.


@pytest.mark.parametrize("value", ["true", "yes", "on", "0", "2", "TRUE", "' '", "'1 '"])
def test_unauthenticated_mode_with_any_value_but_1_stops_start_up(
    settings: Settings, value: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"PLACEBOT_TEAMS_ALLOW_UNAUTHENTICATED={value}\n")
    from_env = Settings(database_url=settings.database_url)
    with pytest.raises(ConfigurationError, match="PLACEBOT_TEAMS_ALLOW_UNAUTHENTICATED"):
        build_app(from_env, make_engine(settings.database_url))


def test_unauthenticated_mode_with_an_app_id_stops_start_up(
    settings: Settings, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("PLACEBOT_TEAMS_ALLOW_UNAUTHENTICATED=1\n")
    monkeypatch.setenv("MICROSOFT_APP_ID", wire.APP_ID)
    monkeypatch.setenv("MICROSOFT_APP_PASSWORD", "secret")
    from_env = Settings(database_url=settings.database_url)
    with pytest.raises(ConfigurationError) as refusal:
        build_app(from_env, make_engine(settings.database_url))
    assert "PLACEBOT_TEAMS_ALLOW_UNAUTHENTICATED" in str(refusal.value)
    assert "MICROSOFT_APP_ID" in str(refusal.value)


@pytest.mark.parametrize(
    ("channels", "app_id"),
    [("webchat", ""), ("msteams,directline", ""), ("msteams,emulator", wire.APP_ID), (" ", "")],
)
def test_channels_that_cannot_vouch_for_a_person_stop_start_up(
    settings: Settings, channels: str, app_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLACEBOT_TEAMS_CHANNELS", channels)
    if app_id:
        monkeypatch.setenv("MICROSOFT_APP_ID", app_id)
        monkeypatch.setenv("MICROSOFT_APP_PASSWORD", "secret")
    else:
        monkeypatch.setenv("PLACEBOT_TEAMS_ALLOW_UNAUTHENTICATED", "1")
    from_env = Settings(database_url=settings.database_url, _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="PLACEBOT_TEAMS_CHANNELS"):
        build_app(from_env, make_engine(settings.database_url))


def test_the_channels_served_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(_env_file=None).placebot_teams_channels == {"msteams"}  # type: ignore[call-arg]
    monkeypatch.setenv("PLACEBOT_TEAMS_CHANNELS", "msteams, emulator,")
    assert Settings(_env_file=None).placebot_teams_channels == {"msteams", "emulator"}  # type: ignore[call-arg]


ELSEWHERE = [
    "http://10.20.0.7:8080/",
    "http://169.254.169.254/latest/meta-data/",
    "http://192.168.1.20:6379/",
    "http://[fd00::1]:6379/",
    "http://127.0.0.1.nip.io:6379/",
    "http://localhost.example.net/",
    "http://127.0.0.1@internal.example.net/",
    "gopher://127.0.0.1:6379/_INFO",
    "file:///etc/passwd",
]


@pytest.mark.parametrize("service_url", ELSEWHERE)
async def test_unauthenticated_an_activity_answered_anywhere_but_here_gets_403_and_changes_nothing(
    teams_rig: TeamsRig, chat: Chat, service_url: str
) -> None:
    before = await snapshot(chat)
    for activity in (
        wire.message(service_url, "placement help"),
        wire.execute(service_url, {"action": "home", "value": ""}),
        wire.installed(service_url),
    ):
        response = await teams_rig.post(activity)
        await refused(teams_rig, response, 403)
        assert "serviceUrl" in (await response.json())["error"]
    assert await snapshot(chat) == before
    assert teams_rig.connector.sent == [] and teams_rig.connector.member_requests == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_unauthenticated_replies_on_this_machine_are_served(
    settings: Settings, clock: FixedClock, chat: Chat, host: str
) -> None:
    async with teams_server(settings, clock, chat) as rig:
        url = f"http://{host}:{rig.connector.server.port}/"
        assert (await rig.post(wire.message(url, "placement help"))).status == 200
        [answer] = await rig.connector.wait_for(1)
    assert "PlaceBot keeps" in answer.body["text"]


def test_only_this_machines_addresses_count_as_loopback() -> None:
    here = [
        "http://127.0.0.1:3978/",
        "https://localhost/",
        "http://[::1]:3978/",
        "http://127.8.0.1/",
    ]
    assert all(is_loopback(url) for url in here)
    assert not any(is_loopback(url) for url in [*ELSEWHERE, "", "http://", "not a url"])


async def test_unauthenticated_a_stored_reference_elsewhere_is_never_sent_to(
    teams_rig: TeamsRig, chat: Chat, build: Builder
) -> None:
    lead = await faculty_lead(build)
    elsewhere = wire.message("http://10.20.0.7:8080/", n=LEAD)
    kept = {
        "serviceUrl": elsewhere["serviceUrl"],
        "channelId": "msteams",
        "conversation": elsewhere["conversation"],
        "bot": elsewhere["recipient"],
        "user": elsewhere["from"],
    }
    await chat.bot.remember_conversation(
        Actor("teams", wire.user(LEAD)["aadObjectId"], tenant=wire.TENANT), kept
    )
    with pytest.raises(Unreachable):
        await edge(teams_rig).send(lead.id, Reply(text="Reminder."))


async def test_an_unauthenticated_connector_calls_nothing_but_this_machine() -> None:
    connector = Connector.open(None, None, "http://127.0.0.1:9/token")
    try:
        for url in ELSEWHERE:
            with pytest.raises(ConnectorError, match="not this machine"):
                await connector.send(url, "a:1personal", {"type": "message"})
            with pytest.raises(ConnectorError, match="not this machine"):
                await connector.member(url, "a:1personal", "29:1abc")
            with pytest.raises(ConnectorError, match="not this machine"):
                await connector.personal_conversation(url, {"id": wire.BOT_ID}, {"id": "29:1"}, "")
    finally:
        await connector.close()
