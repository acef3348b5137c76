"""Socket Mode: the same Slack app over a WebSocket, for workspaces with no public endpoint."""

from __future__ import annotations

from urllib.parse import parse_qsl

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.server import build_app
from bot.kernel.clock import FixedClock
from config.settings import Settings
from storage.engine import make_engine
from storage.tables import PlacementOffer
from tests.support import slack_wire as wire
from tests.support.chat import Chat
from tests.support.fakes.slack_api import FakeSlack
from tests.support.slack_rig import slack_settings


async def test_a_command_over_socket_mode_is_stored_then_acked_with_its_answer(
    engine: AsyncEngine, settings: Settings, clock: FixedClock, chat: Chat
) -> None:
    async with FakeSlack() as slack:
        configured = slack_settings(settings, slack, slack_app_token="xapp-1-A123-456-abc")
        app = build_app(configured, make_engine(settings.database_url), clock)
        async with TestClient(TestServer(app)):
            [opened] = await slack.wait_for("apps.connections.open")
            assert opened.body["token"] == "xapp-1-A123-456-abc"
            body, _ = wire.slash_command(
                "/placement",
                "offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Unit, Bassetlaw Hospital",
                slack.response_url("socket"),
                trigger="socket.trigger.1",
            )
            await slack.push(
                {
                    "envelope_id": "57d6a792-4d35-4d0b-b6aa-3361493e1caf",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": dict(parse_qsl(body)),
                }
            )
            [ack] = await slack.wait_for("socket:ack")
        assert ack.body["envelope_id"] == "57d6a792-4d35-4d0b-b6aa-3361493e1caf"
        # Stored before the acknowledgement, which carries the answer (no response_url post).
        assert "in the register" in ack.body["payload"]["text"]
        assert slack.named("response:socket") == []
        assert await chat.count(PlacementOffer) == 1
