"""A Teams message is stored before its 200, and its reply is kept until the Bot Connector took
it: a reply the connector refused (or a stop left unsent) is sent again, once, by the resend
pass every web process runs. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from adapters.teams import answers
from adapters.teams.app import TEAMS_EDGE
from bot.kernel.clock import FixedClock
from storage.tables import PlacementOffer
from tests.support import teams_wire as wire
from tests.support.teams_rig import TeamsRig

OFFER = "placement offer OT 1 Feb - 12 Mar 2027 2 students at Bassetlaw Hospital"


async def test_the_message_is_stored_by_its_200_and_a_refused_reply_is_sent_again(
    teams_rig: TeamsRig, clock: FixedClock
) -> None:
    teams_rig.connector.failures = 1
    response = await teams_rig.post(wire.message(teams_rig.connector.service_url, OFFER))
    assert response.status == 200
    assert await teams_rig.chat.count(PlacementOffer) == 1  # stored before the 200 came
    edge = teams_rig.client.app[TEAMS_EDGE]
    await edge.work.drain()
    assert teams_rig.connector.sent == []  # the connector refused the reply
    assert await answers.resend_due(edge.bot, edge.connector) == 0  # may be in hand still
    clock.at += timedelta(seconds=11)
    assert await answers.resend_due(edge.bot, edge.connector) == 1
    [reply] = teams_rig.connector.sent
    assert "in the register" in reply.body["text"]
    assert reply.path.endswith("/activities/" + reply.body["replyToId"])
    assert await answers.resend_due(edge.bot, edge.connector) == 0  # once
